import { startEngine } from '../worker/client';
import { devicePanel } from './device-panel';

const app = document.getElementById('app')!;
const { engine } = startEngine();
app.append(devicePanel(engine));
