// Restores a published experiment run (public/results/NAME/, written by scripts/publish-run.ts) as a
// run folder the runner continues: the state, the replay sets and the finished units' rows. Units
// that had not finished start again (their checkpoints are not published); the same command that
// made the run then continues it, e.g.
//
//   node --import ./src/cli/register.mjs scripts/restore-run.ts public/results/extended runs/extended
//   npm run experiment -- --preset extended --model public/models/grsap-organism --out runs/extended

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { publishedLayout, restoredState } from '../src/studio/experiment-archive';
import { EXPERIMENT_STATE, type ExperimentState } from '../src/studio/experiment-store';

const [published, run] = process.argv.slice(2);
if (!published || !run) throw new Error('usage: scripts/restore-run.ts PUBLISHED_DIR RUN_DIR (e.g. public/results/extended runs/extended): makes RUN_DIR a run folder the experiment command continues.');
const statePath = join(published, EXPERIMENT_STATE);
if (!existsSync(statePath)) throw new Error(`${statePath} is missing: only runs published with their state (scripts/publish-run.ts) can be restored.`);
if (existsSync(join(run, EXPERIMENT_STATE))) throw new Error(`${run} already holds a run (${EXPERIMENT_STATE}); restore into a new folder, or continue that run.`);
const state = JSON.parse(readFileSync(statePath, 'utf8')) as ExperimentState;
let copied = 0;
for (const [inRun, inPublished] of publishedLayout(state)) {
  if (inRun === EXPERIMENT_STATE || !existsSync(join(published, inPublished))) continue;
  mkdirSync(dirname(join(run, inRun)), { recursive: true });
  copyFileSync(join(published, inPublished), join(run, inRun));
  copied++;
}
const restored = restoredState(state);
writeFileSync(join(run, EXPERIMENT_STATE), `${JSON.stringify(restored, null, 2)}\n`);
const done = Object.values(restored.units).filter((u) => u.status === 'done').length;
process.stdout.write(`${run}: ${copied} files restored; ${done} of ${Object.keys(restored.units).length} units finished, the others start again when the experiment command continues it.\n`);
