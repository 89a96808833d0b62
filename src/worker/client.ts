// The UI's handle on the engine worker.
import { proxy, wrap, type Remote } from 'comlink';
import type { StudioApi } from './api';

export function startEngine(): { engine: Remote<StudioApi>; worker: Worker } {
  const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'grsap-engine' });
  return { engine: wrap<StudioApi>(worker), worker };
}

export { proxy };
