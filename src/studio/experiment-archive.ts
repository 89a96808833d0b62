// A run folder as it is published (public/results/NAME/, scripts/publish-run.ts) and back
// (scripts/restore-run.ts): the state, the replay sets and every finished unit's rows are what the
// results and a later session need, so a published run can be restored on another machine and
// continued there. Checkpoints, adapters and mixes stay behind: a restored run's unfinished units
// start again from their mix (rebuilt from the same replay set and seed, so the same rows), and its
// finished LoRA units have no adapter to chat with.

import { presetUnits } from './experiment';
import { benignPath, EXPERIMENT_STATE, extractedPath, replayPath, unitPath, type ExperimentState } from './experiment-store';

export const HALVES = ['test', 'dev'] as const;

/** Where each file of the run goes when published: [path in the run folder, path in the published folder]. */
export function publishedLayout(state: ExperimentState): [run: string, published: string][] {
  const pairs: [string, string][] = [[EXPERIMENT_STATE, EXPERIMENT_STATE]];
  for (const seed of state.preset.seeds) for (const path of [replayPath(seed), benignPath(seed), extractedPath(seed)]) pairs.push([path, path]);
  for (const u of presetUnits(state.preset)) {
    if (state.units[u.id]?.status !== 'done') continue;
    for (const half of HALVES) pairs.push([unitPath(u.id, `rows-${half}.jsonl`), `${u.id}.rows-${half}.jsonl`]);
  }
  return pairs;
}

/** The state a restored run continues from: finished units stay; the others start again (their checkpoints were not published). */
export function restoredState(state: ExperimentState): ExperimentState {
  const units: ExperimentState['units'] = {};
  for (const [id, u] of Object.entries(state.units)) units[id] = u.status === 'done' ? u : { ...u, status: 'pending', rows: null, trainedTokens: null, steps: null };
  return { ...state, units };
}
