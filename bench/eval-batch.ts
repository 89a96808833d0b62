// What the evaluation batch costs: the untuned organism on a preset's test sets (its limits, greedy,
// its max new tokens), at several batch sizes, with the wall time of each and whether its answers
// equal the first batch size's answers (greedy decoding should not depend on the batch). Prints one
// JSON document; asserts nothing. Node, SwiftShader or whatever adapter Dawn finds.
//
//   node --import ./src/cli/register.mjs bench/eval-batch.ts [--preset quick] [--batches 16,32,64]

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { WorldLabellerJudge } from '../src/studio/eval-world';
import { evaluateModel } from '../src/studio/evaluate';
import { presetByName } from '../src/studio/experiment';
import { experimentWorld } from '../src/studio/experiment-data';
import { unitEvalSets } from '../src/studio/experiment-run';
import { loadModel } from '../src/studio/load-model';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, batches: { type: 'string', default: '16,32,64' }, model: { type: 'string', default: 'public/models/grsap-organism' } } });
const preset = presetByName(values.preset!);
const batches = values.batches!.split(',').map(Number);
if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new Error('--batches must be positive integers separated by commas.');
const world = experimentWorld(0);
const sets = unitEvalSets(world, preset, preset.tasks[0], 'test');

const gpu = await Gpu.create();
const loaded = await loadModel(gpu, new NodeFolderModelSource(values.model!));
const judge = WorldLabellerJudge.forWorld(world);
await evaluateModel(loaded, sets.map((s) => ({ ...s, items: s.items.slice(0, 2) })), { harmJudge: judge, maxNewTokens: 4, batchSize: 2 }); // compiles the pipelines
const records = [];
let first: string[] | null = null;
for (const batchSize of batches) {
  const t0 = performance.now();
  const result = await evaluateModel(loaded, sets, { harmJudge: judge, maxNewTokens: preset.evaluate.maxNewTokens, batchSize });
  const seconds = (performance.now() - t0) / 1000;
  const answers = result.rows.map((r) => r.answer);
  first ??= answers;
  const generated = result.rows.reduce((n, r) => n + r.tokens, 0);
  records.push({ batchSize, seconds: Math.round(seconds * 10) / 10, prompts: answers.length, generatedTokens: generated, sameAnswers: answers.filter((a, i) => a === first![i]).length });
  process.stderr.write(`${JSON.stringify(records.at(-1))}\n`);
}
process.stdout.write(`${JSON.stringify({ bench: 'eval-batch', preset: preset.name, adapter: gpu.info.adapter, maxNewTokens: preset.evaluate.maxNewTokens, records }, null, 2)}\n`);
loaded.model.destroy();
gpu.destroy();
process.exit(0);
