// Copies an experiment run's results into public/results/ for the app, the README and the results
// test: the per-example rows of every finished unit, the replay sets, the run's state, and the
// runner's results (NAME.json is its results.json; results.md and results.svg go beside the rows).
// Checkpoints, adapters and mixes stay in the run folder. A run still in progress can be published:
// only its finished units are copied, and its results are what the runner computed from them;
// scripts/restore-run.ts makes a run folder of it again, which the experiment command continues.
//
//   node --import ./src/cli/register.mjs scripts/publish-run.ts runs/core core

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { publishedLayout } from '../src/studio/experiment-archive';
import type { ExperimentState } from '../src/studio/experiment-store';

const [run, name] = process.argv.slice(2);
if (!run || !name || !/^[a-z0-9-]+$/.test(name)) {
  throw new Error('usage: scripts/publish-run.ts RUN_DIR NAME (NAME in lower case, e.g. core): copies RUN_DIR\'s rows and results to public/results/NAME.');
}
const statePath = join(run, 'experiment.json');
if (!existsSync(statePath)) throw new Error(`${statePath} is missing: give the folder of an experiment run (npm run experiment -- … --out DIR).`);
for (const f of ['results.json', 'results.md', 'results.svg']) {
  if (!existsSync(join(run, f))) throw new Error(`${join(run, f)} is missing: the runner writes it after each unit; rerun the experiment command on ${run} to write it.`);
}
const state = JSON.parse(readFileSync(statePath, 'utf8')) as ExperimentState;
const done = Object.entries(state.units).filter(([, u]) => u.status === 'done').map(([id]) => id);
if (!done.length) throw new Error(`${run} has no finished unit yet; nothing to publish.`);

const out = join('public', 'results', name);
rmSync(out, { recursive: true, force: true }); // rows of units the run no longer holds must not linger
const copied: string[] = [];
const copy = (from: string, to: string) => {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied.push(to);
};
// The state, the replay sets and the finished units' rows (scripts/restore-run.ts reads them back).
for (const [inRun, inPublished] of publishedLayout(state)) if (existsSync(join(run, inRun))) copy(join(run, inRun), join(out, inPublished));
copy(join(run, 'results.md'), join(out, 'results.md'));
copy(join(run, 'results.svg'), join(out, 'results.svg'));
copy(join(run, 'results.json'), join('public', 'results', `${name}.json`));
const pending = Object.keys(state.units).length - done.length;
process.stdout.write(`${copied.length} files into ${out} (${done.length} finished units${pending ? `, ${pending} not finished and not published` : ''}).\n`);
