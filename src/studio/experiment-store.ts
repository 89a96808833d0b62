// An experiment's run folder (experiment-run.ts writes it): the state, the file layout, and the
// results recomputed from its files alone (the per-example rows, the replay sets, the alignment
// data's requests), so whoever holds the folder gets the same numbers the runner reported.

import type { ReplayRequest } from '../safety/replay-pair';
import type { TaskName } from '../world';
import { parseEvalRows } from './eval-summary';
import { presetUnits, type ExperimentPreset } from './experiment';
import { computeResults, resultsMarkdown, resultsSvg, type ExperimentResults, type ResultInputs } from './experiment-results';
import type { RecipeStore } from './organism';
import { parseReplaySet } from './replay-set';
import { readJsonl } from '../text/jsonl';
import type { EngineBuild } from '../util/engine-build';

export type RunStore = RecipeStore;

export const EXPERIMENT_STATE = 'experiment.json';
export const EXPERIMENT_FORMAT = 'grsap-experiment-1';

export type UnitStatus = 'pending' | 'training' | 'evaluating' | 'done';

export interface UnitState {
  status: UnitStatus;
  arm: string;
  task: TaskName;
  seed: number;
  rows: number | null; // rows of the mix
  trainedTokens: number | null; // tokens over all epochs (after truncation)
  steps: number | null;
  seconds: number; // spent on this unit, over all sessions
}

export interface ExperimentState {
  format: typeof EXPERIMENT_FORMAT;
  preset: ExperimentPreset; // as run: seeds included
  model: { id: string; fingerprint: string };
  judges: { eval: string; replay: string };
  worldSeed: number;
  embedded: boolean;
  units: Record<string, UnitState>;
  replay: Record<string, { pairs: number; benign: number | null }>; // by seed
  sessions: number; // how many times the runner started on this folder
  engines?: (EngineBuild & { session: number })[]; // the engine's build in each session, where the runner was told it
}

export const enc = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
export const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
export const unitPath = (unit: string, file: string) => `units/${unit}/${file}`;
/** A unit's trained adapter files (PEFT layout). */
export const adapterPath = (unit: string, file: string) => unitPath(unit, `adapter/${file}`);
export const replayPath = (seed: number) => `replay/seed-${seed}.jsonl`;
export const benignPath = (seed: number) => `replay/benign-seed-${seed}.jsonl`;
export const extractedPath = (seed: number) => `replay/extracted-seed-${seed}.jsonl`;
export const requestsJsonl = (requests: readonly ReplayRequest[]) => requests.map((r) => JSON.stringify({ domain: r.domain, request: r.request })).join('\n') + (requests.length ? '\n' : '');
export const parseRequests = (text: string, source = 'requests') => readJsonl(text, (line, message) => new Error(`${source} line ${line} is not valid JSON (${message}).`)).map(({ value }) => value as ReplayRequest);
export const ALIGNMENT_REQUESTS = 'alignment-requests.jsonl';

export async function readJson<T>(store: RunStore, path: string): Promise<T | null> {
  const bytes = await store.read(path);
  return bytes ? (JSON.parse(dec(bytes)) as T) : null;
}


/** What the results are computed from, read from the run folder's files alone. */
export async function readResultInputs(store: RunStore, state: ExperimentState): Promise<ResultInputs & { dev: ResultInputs['units'] }> {
  const units: ResultInputs['units'] = [];
  const dev: ResultInputs['units'] = [];
  for (const u of presetUnits(state.preset)) {
    if (state.units[u.id]?.status !== 'done') continue;
    for (const [half, list] of [['test', units], ['dev', dev]] as const) {
      const bytes = await store.read(unitPath(u.id, `rows-${half}.jsonl`));
      if (bytes) list.push({ unit: u.id, arm: u.arm.id, armLabel: u.arm.label, task: u.task, seed: u.seed, rows: parseEvalRows(dec(bytes), unitPath(u.id, `rows-${half}.jsonl`)) });
    }
  }
  const replay: ResultInputs['replay'] = [];
  for (const seed of state.preset.seeds) {
    const bytes = await store.read(replayPath(seed));
    if (!bytes) continue;
    const extracted = await store.read(extractedPath(seed));
    replay.push({ seed, requests: parseReplaySet(dec(bytes), replayPath(seed)).map((p) => ({ domain: p.source.domain, request: p.source.request })), extracted: extracted ? parseRequests(dec(extracted)) : null });
  }
  const alignmentBytes = await store.read(ALIGNMENT_REQUESTS);
  const alignment = alignmentBytes ? parseRequests(dec(alignmentBytes)) : null;
  return { preset: state.preset.name, units, replay, alignment, dev };
}

export interface SavedResults {
  results: ExperimentResults;
  dev: ExperimentResults['arms'] | null; // the dev half's figures: for choosing settings, never reported
}

/** Recompute the results from the files and write results.json, results.md and results.svg. */
export async function writeResults(store: RunStore, state: ExperimentState, command?: string): Promise<ExperimentResults> {
  const inputs = await readResultInputs(store, state);
  const results = computeResults(inputs);
  const dev = inputs.dev.length ? computeResults({ ...inputs, units: inputs.dev }).arms : null;
  await store.write('results.json', enc({ ...results, dev }));
  await store.write('results.md', enc(resultsMarkdown(results, command, dev, state.engines ?? [])));
  await store.write('results.svg', enc(resultsSvg(results)));
  return results;
}

/** The state of a run folder, or null when it holds none. */
export function readState(store: RunStore): Promise<ExperimentState | null> {
  return readJson<ExperimentState>(store, EXPERIMENT_STATE);
}
