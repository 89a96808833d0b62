// A training run as every host runs it (CLI, worker, experiment runner, the embedded model's
// recipe): resume from a checkpoint, eval loss before, steps in checkpoint intervals with progress,
// a checkpoint at every interval and when stopped, eval loss after. The host only persists what it
// is handed (checkpoint bytes, the run record) and writes the final files.
//
// A stopped run (its signal fired) ends 'paused' with a checkpoint to resume from. A run whose loss
// or gradient norm turns non-finite ends 'diverged': nothing more is saved, so the last checkpoint
// the host kept is the last good one.

import type { TrainConfig } from '../train/config';
import { loadCheckpoint, saveCheckpoint } from '../train/checkpoint';
import { TrainingDivergedError, type StepReport } from '../train/trainer';
import type { JobProgress } from './jobs';
import type { LoadedModel } from './load-model';
import { evalLoss, type TrainingSetup } from './training';

export const TRAINING_RECORD_FORMAT = 'grsap-train-run-2';

export type RunStatus = 'running' | 'paused' | 'done' | 'diverged' | 'failed';

/** The run's manifest: the CLI writes it as train-run.json, the app keeps it with the run. */
export interface TrainingRecord {
  format: typeof TRAINING_RECORD_FORMAT;
  status: RunStatus;
  model: { id: string; fingerprint: string };
  data: { examples: number; fingerprint: string };
  evalExamples: number | null; // held-out examples used for the eval loss
  config: TrainConfig;
  steps: { done: number; total: number };
  checkpointStep: number | null; // the step of the last checkpoint handed to the host
  evalLoss: Record<string, number>; // 'before', 'after', or 'at step N' when resumed
  losses: [step: number, loss: number][]; // the loss curve of the steps run so far
  error: string | null; // why a run diverged or failed
}

/** The payload of a training step's progress: one point of the loss curve. */
export interface TrainingPoint {
  step: number; // optimizer steps done (1-based)
  totalSteps: number;
  epoch: number; // 0-based
  loss: number | null;
  gradNorm: number | null;
  lr: number;
  tokens: number; // input tokens processed so far in this session's trainer (padding included): tokens/s between two points
}

export interface RunTrainingOptions {
  signal?: AbortSignal; // stop after the current step, save a checkpoint, end 'paused'
  onProgress?: (p: JobProgress<TrainingPoint>) => void;
  checkpointEvery?: number; // steps between checkpoints; 0 = only at the end and when stopped
  /** Persist a checkpoint (replacing the previous one) before the run goes on. */
  onCheckpoint?: (bytes: Uint8Array, record: TrainingRecord) => Promise<void>;
  /** Persist the run record; called whenever it changes. */
  onRecord?: (record: TrainingRecord) => Promise<void>;
  resumeFrom?: { bytes: Uint8Array; name: string }; // a checkpoint of this same run
  record?: TrainingRecord; // the record of the run being resumed (keeps its curve and eval losses)
}

export interface TrainingOutcome {
  status: 'done' | 'paused' | 'diverged';
  record: TrainingRecord;
}

function newRecord(loaded: LoadedModel, setup: TrainingSetup): TrainingRecord {
  const { trainer } = setup;
  return {
    format: TRAINING_RECORD_FORMAT,
    status: 'running',
    model: { id: loaded.id, fingerprint: setup.identity.model },
    data: { examples: trainer.examples.length, fingerprint: setup.identity.data },
    evalExamples: setup.eval ? setup.eval.examples.length : null,
    config: trainer.config,
    steps: { done: trainer.stepsDone, total: trainer.totalSteps },
    checkpointStep: null,
    evalLoss: {},
    losses: [],
    error: null,
  };
}

function point(r: StepReport): JobProgress<TrainingPoint> {
  return {
    phase: 'train',
    done: r.step,
    total: r.totalSteps,
    unit: 'steps',
    rate: r.tokensPerSec, // tokens per second (the rate users compare); steps/s follows from the ETA
    etaSec: r.etaSec,
    payload: { step: r.step, totalSteps: r.totalSteps, epoch: r.epoch, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr, tokens: r.tokens },
  };
}

export async function runTraining(loaded: LoadedModel, setup: TrainingSetup, options: RunTrainingOptions = {}): Promise<TrainingOutcome> {
  const { trainer } = setup;
  const { signal } = options;
  const record: TrainingRecord = options.record ? { ...options.record, status: 'running', error: null } : newRecord(loaded, setup);
  const publish = async () => {
    record.steps = { done: trainer.stepsDone, total: trainer.totalSteps };
    await options.onRecord?.(structuredClone(record));
  };

  if (options.resumeFrom) {
    await loadCheckpoint(trainer, options.resumeFrom.bytes, options.resumeFrom.name, setup.identity);
    record.checkpointStep = trainer.stepsDone;
    record.losses = record.losses.filter(([step]) => step <= trainer.stepsDone);
    options.onProgress?.({ phase: 'resume', done: trainer.stepsDone, total: trainer.totalSteps, unit: 'steps', rate: null, etaSec: null });
  }
  await publish();

  const evalAt = async (label: string) => {
    if (!setup.eval) return;
    options.onProgress?.({ phase: 'eval', done: 0, total: setup.eval.examples.length, unit: 'items', rate: null, etaSec: null });
    record.evalLoss[label] = await evalLoss(loaded, setup.eval, trainer.config.batchSize, signal);
    loaded.model.attach(setup.adaptation);
    await publish();
  };
  const checkpoint = async () => {
    if (record.checkpointStep === trainer.stepsDone) return;
    const bytes = await saveCheckpoint(trainer, setup.identity);
    record.checkpointStep = trainer.stepsDone;
    record.steps = { done: trainer.stepsDone, total: trainer.totalSteps };
    await options.onCheckpoint?.(bytes, structuredClone(record));
    await publish();
  };

  try {
    loaded.model.attach(setup.adaptation);
    if (!signal?.aborted) await evalAt(trainer.stepsDone === 0 ? 'before' : `at step ${trainer.stepsDone}`);
    const interval = options.checkpointEvery || trainer.totalSteps;
    while (trainer.stepsDone < trainer.totalSteps && !signal?.aborted) {
      const until = Math.min(trainer.totalSteps, (Math.floor(trainer.stepsDone / interval) + 1) * interval);
      await trainer.run({
        untilStep: until,
        signal,
        onStep: (r) => {
          if (r.loss !== null) record.losses.push([r.step, r.loss]);
          options.onProgress?.(point(r));
        },
      });
      if (trainer.stepsDone % interval === 0 || trainer.stepsDone === trainer.totalSteps) await checkpoint();
    }
    if (trainer.stepsDone < trainer.totalSteps) {
      await checkpoint();
      record.status = 'paused';
      await publish();
      return { status: 'paused', record };
    }
    await checkpoint();
    await evalAt('after');
    record.status = 'done';
    await publish();
    return { status: 'done', record };
  } catch (e) {
    const diverged = e instanceof TrainingDivergedError;
    const stoppedInEval = signal?.aborted && (e as { name?: string })?.name === 'AbortError';
    if (stoppedInEval) {
      record.status = trainer.stepsDone === trainer.totalSteps ? 'done' : 'paused';
      await publish();
      return { status: record.status as 'done' | 'paused', record };
    }
    record.status = diverged ? 'diverged' : 'failed';
    record.error = (e as Error)?.message ?? String(e);
    await publish();
    if (diverged) return { status: 'diverged', record };
    throw e;
  }
}
