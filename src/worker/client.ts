// The UI's handle on the engine worker, and how the UI runs a job through it.
import { proxy, wrap, type Remote } from 'comlink';
import type { StudioApi } from '../studio/api';
import { jobResult, type JobEnd, type JobId, type JobListener, type JobProgress } from '../studio/jobs';
import engineWorkerUrl from './engine.worker.ts?worker&url';

/**
 * The engine's worker. It starts from a one-line blob: module that imports the engine's module from
 * the page's origin: a blob: worker inherits the page's Content-Security-Policy (ui/privacy.ts), so
 * the engine's downloads are held to the same connect-src as the page's.
 */
export function startEngine(): { engine: Remote<StudioApi>; worker: Worker } {
  const source = `import ${JSON.stringify(new URL(engineWorkerUrl, location.href).href)};\n`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url, { type: 'module', name: 'grsap-engine' });
  return { engine: wrap<StudioApi>(worker), worker };
}

/**
 * Start a job on the engine: `start` receives the listener (already a comlink proxy) and calls the
 * engine. Returns the job's id (for cancel) and its end; progress goes to `onProgress`, never
 * after the end.
 */
export function runJob<P, R>(start: (listener: JobListener<P, R>) => Promise<JobId>, onProgress?: (p: JobProgress<P>) => void): { id: Promise<JobId>; end: Promise<JobEnd<R>> } {
  return jobResult<P, R>((listener) => start(proxy(listener)), onProgress);
}

/** The result of a job that ended 'done'; throws with the message of a failed or cancelled one. */
export function resultOf<R>(end: JobEnd<R>): R {
  if (end.status === 'done') return end.result;
  throw new Error(end.status === 'failed' ? end.error : 'Cancelled.');
}
