// Rebuilds a published preset's replay set of one seed on the embedded organism, as the experiment
// runner builds it (defaultReplayBuilder, the preset's replay budget, the world's labeller), and
// compares it byte for byte with the committed one (public/results/<preset>/replay/seed-<S>.jsonl).
// Prints one JSON line: seconds, pairs, identical. Checks that an engine change left replay alone.
//
//   node --import ./src/cli/register.mjs scripts/rebuild-replay.ts [--preset quick] [--seed 0] [--out FILE]

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { WorldLabellerJudge } from '../src/studio/eval-world';
import { presetByName } from '../src/studio/experiment';
import { experimentWorld, replayDomainsFor } from '../src/studio/experiment-data';
import { defaultReplayBuilder } from '../src/studio/experiment-replay';
import { loadModel } from '../src/studio/load-model';
import { replaySetToJsonl } from '../src/studio/replay-set';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, seed: { type: 'string', default: '0' }, out: { type: 'string' } } });
const preset = presetByName(values.preset!);
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be an integer ≥ 0, got ${values.seed}.`);
const committedPath = `public/results/${preset.name}/replay/seed-${seed}.jsonl`;
const committed = readFileSync(committedPath, 'utf8');

const gpu = await Gpu.create();
const loaded = await loadModel(gpu, new NodeFolderModelSource('public/models/grsap-organism'));
const t0 = performance.now();
const built = await defaultReplayBuilder(loaded, { seed, settings: preset.replay, domains: replayDomainsFor(true), judge: WorldLabellerJudge.forWorld(experimentWorld(0)) });
const seconds = Math.round((performance.now() - t0) / 1000);
const rebuilt = replaySetToJsonl(built.pairs);
if (values.out) writeFileSync(values.out, rebuilt);
console.log(JSON.stringify({ preset: preset.name, seed, seconds, pairs: built.pairs.length, committed: committedPath, identical: rebuilt === committed }));
loaded.model.destroy();
gpu.destroy();
process.exit(0);
