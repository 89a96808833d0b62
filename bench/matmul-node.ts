// Run the matmul benchmark in Node and print JSON:
//   node --import ./src/cli/register.mjs bench/matmul-node.ts [--unsafe] [--shapes=512x512x512,1x576x1536]
//        [--layouts=NT,NN] [--variants=register] [--iterations=5]
// --unsafe turns off Dawn's robustness checks (bounds clamping of every storage access); only for
// measuring, never for the app: out-of-range accesses then read or write arbitrary memory.

import { Gpu } from '../src/gpu/gpu';
import type { MatmulVariant } from '../src/ops/matmul';
import { benchMatmul, DEFAULT_MATMUL_SHAPES, type MatmulLayout } from './matmul';

const UNSAFE_DAWN_OPTIONS = ['enable-dawn-features=allow_unsafe_apis,disable_robustness'];

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

function parseShapes(text: string): [number, number, number][] {
  return text.split(',').map((s) => {
    const dims = s.split('x').map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`--shapes: "${s}" is not MxKxN.`);
    return dims as [number, number, number];
  });
}

const unsafe = process.argv.includes('--unsafe');
const gpu = await Gpu.create(unsafe ? { dawnOptions: UNSAFE_DAWN_OPTIONS } : {});
try {
  const shapesFlag = flag('shapes');
  const results = await benchMatmul(gpu, shapesFlag ? parseShapes(shapesFlag) : DEFAULT_MATMUL_SHAPES, {
    layouts: flag('layouts')?.split(',') as MatmulLayout[] | undefined,
    variants: flag('variants')?.split(',') as MatmulVariant[] | undefined,
    iterations: flag('iterations') ? Number(flag('iterations')) : undefined,
  });
  const adapter = gpu.info.adapter;
  console.log(JSON.stringify({ adapter: `${adapter.vendor} ${adapter.architecture} ${adapter.description}`, host: gpu.info.host, unsafe, results }, null, 1));
} finally {
  gpu.destroy();
}
process.exit(0);
