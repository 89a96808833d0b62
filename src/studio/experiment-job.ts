// The experiment as the app runs it (the one-click demo: QUICK_PRESET, the same object the CLI's
// `--preset quick` runs) on the embedded model: the world's evaluation sets and labeller, the run
// folder kept as records (IndexedDB in the browser) under the run's id, so a stopped demo continues
// where it stopped. The engine (engine.ts) runs it as a job.

import type { BlobStore } from '../storage/cache';
import { opfsFolderStore } from '../storage/cache-browser';
import { IdbRecordStore, MemoryRecordStore, type RecordStore } from '../storage/record-store';
import type { Gpu } from './device';
import { WorldLabellerJudge } from './eval-world';
import { presetByName, withSeeds } from './experiment';
import { experimentWorld, replayDomainsFor } from './experiment-data';
import { defaultBenignBuilder, defaultReplayBuilder } from './experiment-replay';
import { runExperiment, type ExperimentOutcome, type ExperimentProgress, type RunStore } from './experiment-run';
import type { LoadedModel } from './load-model';
import { isEmbeddedModelName } from './replay-settings';
import { bundledEngineBuild } from '../util/engine-build';

export interface ExperimentRequest {
  preset: string; // 'quick' for the demo; any of PRESETS
  seeds?: number[]; // instead of the preset's
  runId: string; // the run's name: its files are kept under it, and the same id continues a stopped run
}

/** The run's large binaries (checkpoints, adapter weights), kept as files where there is a blob store. */
const isBlobPath = (path: string) => path.endsWith('.safetensors');

function quotaError(what: string, e: unknown): Error {
  if ((e as { name?: string } | null)?.name === 'QuotaExceededError') {
    return new Error(`The browser's storage for this site is full, so the run's ${what} was not saved. Delete cached models or old runs in the storage panel (below the steps), then continue the demo: it resumes from its last checkpoint.`);
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A run folder: its JSON and JSONL files as records under `experiment/<runId>/`, its binaries
 * (checkpoints, adapter weights) as files in `blobs` (the origin-private file system in the
 * browser), written to a temporary entry and then moved into place, so a crash mid-write keeps the
 * last checkpoint. Without a blob store, or for a binary saved as a record by an older version,
 * records serve.
 */
export function recordRunStore(records: RecordStore, runId: string, blobs?: () => Promise<BlobStore | null>): RunStore {
  if (!/^[\w.-]+$/.test(runId)) throw new Error(`experiment: the run id ${JSON.stringify(runId)} may hold letters, digits, '.', '_' and '-' only.`);
  const key = (path: string) => `experiment/${runId}/${path}`;
  const blobStore = async (path: string) => (blobs && isBlobPath(path) ? blobs() : null);
  return {
    async read(path) {
      const source = await (await blobStore(path))?.open(runId, path);
      if (source) {
        try {
          return (await source.read(0, source.size)).slice();
        } finally {
          await source.close?.();
        }
      }
      return (await records.get<Uint8Array>(key(path))) ?? null;
    },
    async write(path, bytes) {
      const store = await blobStore(path);
      if (!store) {
        try {
          return await records.set(key(path), bytes);
        } catch (e) {
          throw quotaError(path, e);
        }
      }
      const writer = await store.partial(runId, path, false);
      try {
        await writer.write(bytes);
        await writer.commit();
      } catch (e) {
        await writer.discard().catch(() => undefined);
        throw quotaError(path, e);
      }
      await records.delete(key(path)); // a copy an older version kept as a record
    },
  };
}

/**
 * The app's experiment runs: each run's records in IndexedDB (its own database; memory where there is
 * none, for one session) and its binaries in the origin-private file system's `grsap-runs/<runId>/`
 * (the records where there is none). Either can be replaced (tests). Opened on first use.
 */
export class AppRunStores {
  private records: RecordStore | null = null;
  private blobs: Promise<BlobStore | null> | null = null;

  constructor(private readonly options: { records?: RecordStore; blobs?: () => Promise<BlobStore | null> } = {}) {}

  store(runId: string): RunStore {
    this.records ??= this.options.records ?? (typeof indexedDB === 'undefined' ? new MemoryRecordStore() : new IdbRecordStore('grsap-experiments', 'runs'));
    const blobs = (this.blobs ??= this.options.blobs ? this.options.blobs() : opfsFolderStore('grsap-runs'));
    return recordRunStore(this.records, runId, () => blobs);
  }
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
    { gpu, loaded, store, world, embedded: true, judges: { eval: judge, replay: judge }, replayDomains: replayDomainsFor(true), buildReplay: defaultReplayBuilder, buildBenign: defaultBenignBuilder, engine: bundledEngineBuild() },
    preset,
    options,
  );
}
