// The page's shared state as signals: the engine worker, the adapter, the loaded model. Steps read
// them; the few actions that change them live here, so every step sees one model and one device.

import { signal } from '@preact/signals';
import type { Remote } from 'comlink';
import type { DeviceReport, JobProgress, LoadDetail, ModelRequest, ModelSummary, StudioApi } from '../studio/api';
import { resultOf, runJob, startEngine } from '../worker/client';
import { allowedOrigins, mayContact } from './privacy';
import { formatBytes } from './dom';
import type { PageOptions } from './page-options';

export type DeviceState =
  | { kind: 'pending' }
  | { kind: 'ready'; report: DeviceReport }
  | { kind: 'unavailable'; message: string }; // no WebGPU, or it is blocked

export type ModelState =
  | { kind: 'idle' }
  | { kind: 'loading'; progress: string }
  | { kind: 'missing'; url: string } // the model folder is not there (a build without the embedded model)
  | { kind: 'ready'; summary: ModelSummary; embedded: boolean }
  | { kind: 'failed'; message: string };

export interface Studio {
  engine: Remote<StudioApi>;
  worker: Worker;
  options: PageOptions;
}

export const device = signal<DeviceState>({ kind: 'pending' });
export const model = signal<ModelState>({ kind: 'idle' });
/** Why the GPU device was lost, once it was (every GPU job fails from then on). */
export const deviceLost = signal<string | null>(null);
/** Set while a job holds the engine, so steps disable what would queue behind it. */
export const busy = signal<string | null>(null);

export function createStudio(options: PageOptions): Studio {
  const { engine, worker } = startEngine();
  return { engine, worker, options };
}

export function webGpuInBrowser(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator;
}

export async function describeDevice(studio: Studio): Promise<void> {
  if (!webGpuInBrowser()) {
    device.value = { kind: 'unavailable', message: 'This browser has no WebGPU (navigator.gpu is missing).' };
    return;
  }
  try {
    device.value = { kind: 'ready', report: await studio.engine.describeDevice() };
    void studio.engine.deviceLost().then((reason) => (deviceLost.value = reason));
  } catch (e) {
    device.value = { kind: 'unavailable', message: e instanceof Error ? e.message : String(e) };
  }
}

export function loadProgressText(p: JobProgress<LoadDetail>): string {
  const what = p.phase === 'download' ? 'Downloading' : 'Uploading to the GPU';
  const total = p.total ? ` of ${formatBytes(p.total)}` : '';
  const rate = p.rate ? `, ${formatBytes(p.rate)}/s` : '';
  const eta = p.etaSec !== null && Number.isFinite(p.etaSec) ? `, ${Math.ceil(p.etaSec)} s left` : '';
  return `${what}: ${formatBytes(p.done)}${total}${rate}${eta} (${p.payload?.file ?? ''})`;
}

/** Load a model into the engine; `onJob` receives the job id (for Cancel). */
export async function loadInto(studio: Studio, request: ModelRequest, embedded: boolean, onJob?: (id: Promise<string>) => void): Promise<void> {
  model.value = { kind: 'loading', progress: 'Starting…' };
  busy.value = 'Loading the model';
  try {
    const job = runJob<LoadDetail, ModelSummary>((listener) => studio.engine.loadModel(request, listener), (p) => (model.value = { kind: 'loading', progress: loadProgressText(p) }));
    onJob?.(job.id);
    model.value = { kind: 'ready', summary: resultOf(await job.end), embedded };
  } catch (e) {
    model.value = { kind: 'failed', message: e instanceof Error ? e.message : String(e) };
  } finally {
    busy.value = null;
  }
}

/** The page's model (the embedded one, or ?model=): a plain message when its folder is not there. */
export async function loadPageModel(studio: Studio): Promise<void> {
  const { modelUrl, embedded } = studio.options;
  if (!mayContact(modelUrl, location.origin, allowedOrigins())) {
    const origin = new URL(modelUrl).origin;
    model.value = { kind: 'failed', message: `This page may contact only itself and the Hugging Face Hub, so ${modelUrl} is blocked. Allow ${origin} under Model › Load another model (URL of a model folder), or serve the model beside the page.` };
    return;
  }
  let found = false;
  try {
    found = (await fetch(new URL('config.json', modelUrl), { method: 'HEAD', cache: 'no-store' })).ok;
  } catch {
    found = false;
  }
  if (!found) {
    model.value = { kind: 'missing', url: modelUrl };
    return;
  }
  await loadInto(studio, { kind: 'url', url: modelUrl }, embedded);
}
