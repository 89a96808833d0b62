// The one-click demo: the experiment job on the loaded model with the page's preset (the same
// QUICK_PRESET the CLI's `--preset quick` runs), its live progress as signals the Replay, Train
// and Results steps read, and the run read back from its records (it survives a reload).

import { signal } from '@preact/signals';
import type { ExperimentOutcome, ExperimentProgress, ExperimentSnapshot, JobId, PresetInfo, TrainingPoint } from '../studio/api';
import { runJob } from '../worker/client';
import { busy, type Studio } from './state';

export type DemoStatus = 'idle' | 'running' | 'stopping' | 'done' | 'paused' | 'failed';

export interface DemoState {
  status: DemoStatus;
  line: string; // what runs now, in words
  error: string | null;
}

export const demo = signal<DemoState>({ status: 'idle', line: '', error: null });
/** Loss points of each trained unit of this session, by unit id. */
export const losses = signal<Record<string, { label: string; points: [number, number][] }>>({});
/** The replay phase in words while the demo builds its replay set. */
export const replayLine = signal<string | null>(null);
export const snapshot = signal<ExperimentSnapshot | null>(null);
export const preset = signal<PresetInfo | null>(null);

let running: Promise<JobId> | null = null;

const ARM_OF_UNIT = /^(.+?)__/;

function describe(p: ExperimentProgress): string {
  const unit = p.unit ? ` · ${p.unit.replace(/__/g, ' · ')}` : '';
  const inner = p.inner ? ` · ${p.inner.phase} ${p.inner.done}${p.inner.total !== null ? ` of ${p.inner.total}` : ''} ${p.inner.unit}` : '';
  const eta = p.etaSec !== null && Number.isFinite(p.etaSec) ? ` · about ${Math.ceil(p.etaSec / 60)} min left` : '';
  return `Unit ${Math.min(p.unitIndex + 1, p.units)} of ${p.units}: ${p.phase}${unit}${inner}${eta}`;
}

function onProgress(studio: Studio, p: ExperimentProgress): void {
  if (demo.value.status === 'running') demo.value = { ...demo.value, line: describe(p) };
  if (p.phase === 'replay' || p.phase === 'benign') replayLine.value = `${p.phase === 'benign' ? 'Benign replay' : 'Replay'}: ${p.inner ? `${p.inner.phase}, ${p.inner.done}${p.inner.total !== null ? ` of ${p.inner.total}` : ''}` : 'starting'}`;
  const point = p.inner?.payload as TrainingPoint | undefined;
  if (p.phase === 'train' && p.unit && point && typeof point.step === 'number' && point.loss !== null) {
    const arm = ARM_OF_UNIT.exec(p.unit)?.[1] ?? p.unit;
    const label = preset.value?.arms.find((a) => a.id === arm)?.label ?? arm;
    const current = losses.value[p.unit] ?? { label, points: [] };
    losses.value = { ...losses.value, [p.unit]: { label, points: [...current.points, [point.step, point.loss]] } };
  }
  if (p.phase === 'unit-done' || p.phase === 'results') void refreshSnapshot(studio); // the figures grow unit by unit
}

export async function refreshSnapshot(studio: Studio): Promise<void> {
  try {
    snapshot.value = await studio.engine.experimentSnapshot(studio.options.runId);
  } catch (e) {
    demo.value = { ...demo.value, error: `Could not read the stored run: ${e instanceof Error ? e.message : e}` };
  }
}

export async function loadPreset(studio: Studio): Promise<void> {
  preset.value = await studio.engine.presetInfo(studio.options.preset);
}

/** Run (or continue) the demo; resolves when the job ends. */
export async function runDemo(studio: Studio): Promise<void> {
  demo.value = { status: 'running', line: 'Starting…', error: null };
  busy.value = 'The demo is running';
  replayLine.value = null;
  const job = runJob<ExperimentProgress, ExperimentOutcome>((listener) => studio.engine.experiment({ preset: studio.options.preset, runId: studio.options.runId }, listener), (p) => p.payload && onProgress(studio, p.payload));
  running = job.id;
  const end = await job.end;
  running = null;
  busy.value = null;
  replayLine.value = null;
  if (end.status === 'done') demo.value = { status: end.result.status === 'done' ? 'done' : 'paused', line: end.result.status === 'done' ? 'Finished.' : 'Stopped; the next start continues where it stopped.', error: null };
  else if (end.status === 'cancelled') demo.value = { status: 'paused', line: 'Stopped; the next start continues where it stopped.', error: null };
  else demo.value = { status: 'failed', line: '', error: end.error };
  await refreshSnapshot(studio);
}

/** Stop the demo after the step in flight (training saves a checkpoint first). */
export function stopDemo(studio: Studio): void {
  if (!running) return;
  demo.value = { ...demo.value, status: 'stopping', line: 'Stopping after the current step…' };
  void running.then((id) => studio.engine.cancel(id));
}
