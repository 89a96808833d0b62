// What batching costs sampled generation on the embedded organism: the same prompts generated in
// calls of each batch size given (the rows sampled at their place in a batch of the first size,
// as replay does, so every size writes the same text), with the wall time of each and whether
// its answers equal the first size's. Prints one JSON document; asserts nothing. Node, SwiftShader
// or whatever adapter Dawn finds.
//
//   node --import ./src/cli/register.mjs bench/generate-batch.ts [--prompts 64] [--new-tokens 96] [--calls 8,64]

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { generate } from '../src/model/generate';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { loadModel } from '../src/studio/load-model';
import { randomPrompts } from './timing';

const { values } = parseArgs({
  options: {
    prompts: { type: 'string', default: '64' },
    'new-tokens': { type: 'string', default: '96' },
    calls: { type: 'string', default: '8,64' },
    model: { type: 'string', default: 'public/models/grsap-organism' },
  },
});
const count = Number(values.prompts);
const newTokens = Number(values['new-tokens']);
const sizes = values.calls!.split(',').map(Number);
if (![count, newTokens, ...sizes].every((n) => Number.isInteger(n) && n > 0)) throw new Error('--prompts, --new-tokens and --calls must be positive integers.');

const gpu = await Gpu.create();
const loaded = await loadModel(gpu, new NodeFolderModelSource(values.model!));
const prompts = randomPrompts(loaded.cfg, count);
const batch = sizes[0];
const sampling = prompts.map((_, i) => ({ temperature: 0.8, topP: 0.95, seed: 1000 + i, place: i % batch }));
await generate(loaded.model, prompts.slice(0, 2), { maxNewTokens: 2, sampling: sampling.slice(0, 2), eosIds: [] }); // compile
const records = [];
let first: number[][] | null = null;
for (const size of sizes) {
  const t0 = performance.now();
  const tokens: number[][] = [];
  for (let s = 0; s < count; s += size) {
    const r = await generate(loaded.model, prompts.slice(s, s + size), { maxNewTokens: newTokens, sampling: sampling.slice(s, s + size), eosIds: loaded.cfg.eosTokenIds });
    tokens.push(...r.tokens);
  }
  first ??= tokens;
  records.push({ rowsPerCall: size, seconds: Math.round((performance.now() - t0) / 100) / 10, generatedTokens: tokens.reduce((a, t) => a + t.length, 0), sameAnswers: tokens.filter((t, i) => t.join() === first![i].join()).length });
  process.stderr.write(`${JSON.stringify(records.at(-1))}\n`);
}
console.log(JSON.stringify({ bench: 'generate-batch', adapter: gpu.info.adapter, prompts: count, newTokens, placedInBatchesOf: batch, records }, null, 2));
loaded.model.destroy();
gpu.destroy();
process.exit(0);
