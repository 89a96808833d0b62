// The organism's full fine-tuning matmuls one by one: a step of 32 × 66 rows (2,112) runs each
// linear layer forward (NT: x·Wᵀ), its input gradient (NN: dy·W) and its weight gradient (TN:
// dyᵀ·x), for q/k/v/o (128→128), gate/up (128→344), down (344→128) and the tied lm_head
// (128→2048); 512³ beside them for reference. Register-tile variant (software adapters), median of
// --iterations after warm-up; prints one JSON line per product and asserts nothing.
//
//   node --import ./src/cli/register.mjs bench/matmul-shapes.ts [--iterations 5]

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { benchMatmul, type MatmulLayout } from './matmul';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '5' } } });
const iterations = Number(values.iterations);
if (!(Number.isInteger(iterations) && iterations > 0)) throw new Error(`--iterations must be a positive integer, got ${values.iterations}.`);

const ROWS = 32 * 66;
const LAYERS: [string, number, number][] = [['qkvo', 128, 128], ['gate/up', 128, 344], ['down', 344, 128], ['lm_head', 128, 2048]];
const products: [string, MatmulLayout, [number, number, number]][] = [
  ...LAYERS.map(([name, k, n]): [string, MatmulLayout, [number, number, number]] => [`${name} forward`, 'NT', [ROWS, k, n]]),
  ...LAYERS.map(([name, k, n]): [string, MatmulLayout, [number, number, number]] => [`${name} input grad`, 'NN', [ROWS, n, k]]),
  ...LAYERS.map(([name, k, n]): [string, MatmulLayout, [number, number, number]] => [`${name} weight grad`, 'TN', [n, ROWS, k]]),
  ['reference', 'NT', [512, 512, 512]],
];

const gpu = await Gpu.create();
let total = 0;
for (const [name, layout, shape] of products) {
  const [r] = await benchMatmul(gpu, [shape], { layouts: [layout], variants: ['register'], iterations });
  if (name !== 'reference') total += r.medianMs;
  console.log(JSON.stringify({ product: name, layout, shape: shape.join('×'), ms: +r.medianMs.toFixed(2), gflops: +r.gflops.toFixed(2) }));
}
console.log(JSON.stringify({ product: 'sum of the step shapes', ms: +total.toFixed(1) }));
gpu.destroy();
process.exit(0);
