// Worker entry: exposes one StudioEngine to the page.
import { expose } from 'comlink';
import { StudioEngine } from '../studio/engine';

expose(new StudioEngine());
