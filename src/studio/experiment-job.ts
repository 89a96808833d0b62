// The experiment as the app runs it (the one-click demo: QUICK_PRESET, the same object the CLI's
// `--preset quick` runs) on the embedded model: the world's evaluation sets and labeller, the run
// folder kept as records (IndexedDB in the browser) under the run's id, so a stopped demo continues
// where it stopped. The engine (engine.ts) runs it as a job.

import { IdbRecordStore, MemoryRecordStore, type RecordStore } from '../storage/record-store';
import type { Gpu } from './device';
import { WorldLabellerJudge } from './eval-world';
import { presetByName, withSeeds } from './experiment';
import { experimentWorld, replayDomainsFor } from './experiment-data';
import { defaultBenignBuilder, defaultReplayBuilder } from './experiment-replay';
import { runExperiment, type ExperimentOutcome, type ExperimentProgress, type RunStore } from './experiment-run';
import type { LoadedModel } from './load-model';
import { isEmbeddedModelName } from './replay-settings';

export interface ExperimentRequest {
  preset: string; // 'quick' for the demo; any of PRESETS
  seeds?: number[]; // instead of the preset's
  runId: string; // the run's name: its files are kept under it, and the same id continues a stopped run
}

/** A run folder as records under `experiment/<runId>/`. */
export function recordRunStore(records: RecordStore, runId: string): RunStore {
  if (!/^[\w.-]+$/.test(runId)) throw new Error(`experiment: the run id ${JSON.stringify(runId)} may hold letters, digits, '.', '_' and '-' only.`);
  const key = (path: string) => `experiment/${runId}/${path}`;
  return {
    async read(path) {
      return (await records.get<Uint8Array>(key(path))) ?? null;
    },
    async write(path, bytes) {
      await records.set(key(path), bytes);
    },
  };
}

/** Where the app keeps experiment runs: IndexedDB in its own database, else memory (one session). */
export function defaultExperimentRecords(): RecordStore {
  return typeof indexedDB === 'undefined' ? new MemoryRecordStore() : new IdbRecordStore('grsap-experiments', 'runs');
}

/** Run (or continue) `request` on the embedded model `loaded` (nothing attached). */
export async function runEmbeddedExperiment(
  gpu: Gpu,
  loaded: LoadedModel,
  nameOrPath: string | null,
  request: ExperimentRequest,
  store: RunStore,
  options: { signal?: AbortSignal; onProgress?: (p: ExperimentProgress) => void } = {},
): Promise<ExperimentOutcome> {
  if (!isEmbeddedModelName(nameOrPath)) {
    throw new Error(`The experiment evaluates on the embedded world's prompts with its labeller, which know only the embedded model; ${loaded.id} is not it. Load the embedded model, or run \`npm run experiment\` with an ONNX judge for other models.`);
  }
  const preset = request.seeds ? withSeeds(presetByName(request.preset), request.seeds) : presetByName(request.preset);
  const world = experimentWorld(0);
  const judge = WorldLabellerJudge.forWorld(world);
  return runExperiment(
    { gpu, loaded, store, world, embedded: true, judges: { eval: judge, replay: judge }, replayDomains: replayDomainsFor(true), buildReplay: defaultReplayBuilder, buildBenign: defaultBenignBuilder },
    preset,
    options,
  );
}
