import { startEngine } from '../worker/client';
import { devicePanel } from './device-panel';
import { modelPanel } from './model-panel';

const app = document.getElementById('app')!;
const { engine } = startEngine();
app.append(devicePanel(engine), modelPanel(engine));
