// Matmul benchmark: median time and GFLOP/s per shape, layout and variant. Prints nothing and
// asserts nothing; bench/run.ts prints the JSON (in Node and in headless Chromium).
//
// Layouts name how the operands are stored for C (M,N) = op(A)·op(B):
//   NT  A (M,K), B (N,K)   the linear forward y = x·Wᵀ (and LoRA)
//   NN  A (M,K), B (K,N)   the input gradient dx = dy·W
//   TN  A (K,M), B (K,N)   the weight gradient dW += dyᵀ·x

import type { Gpu } from '../src/gpu/gpu';
import { matmul, matmulDims, matmulKernel, matmulVariant, setMatmulVariant, type MatmulKernel, type MatmulVariant } from '../src/ops/matmul';
import { Rng } from '../src/util/rng';

export type MatmulLayout = 'NT' | 'NN' | 'TN';

export interface MatmulBenchResult {
  op: 'matmul';
  shape: [number, number, number]; // [M, K, N]
  layout: MatmulLayout;
  variant: MatmulVariant; // the variant asked for
  kernel: MatmulKernel; // the kernel that ran (gemv for few-row NT on every variant)
  medianMs: number;
  minMs: number; // the least disturbed run, on a machine shared with other work
  gflops: number; // 2·M·K·N / median time
  timing: 'gpu-timestamps' | 'wall-clock'; // how gpu.time() measured
  iterations: number;
  repeats: number; // products recorded back to back per timed sample (short products only)
}

export interface MatmulBenchOptions {
  layouts?: MatmulLayout[]; // default all three
  variants?: MatmulVariant[]; // default both
  warmup?: number; // untimed runs first (pipeline compile, caches), default 2
  iterations?: number; // timed runs, default 5
}

/** Shapes [M, K, N]: square, the 576↔1536 linear layers at 256 rows, and one decode row. */
export const DEFAULT_MATMUL_SHAPES: [number, number, number][] = [
  [512, 512, 512],
  [1024, 1024, 1024],
  [256, 576, 1536],
  [256, 1536, 576],
  [1, 576, 1536],
];

const MIN_SAMPLE_MS = 20;
const MAX_REPEATS = 20;

export async function benchMatmul(gpu: Gpu, shapes: [number, number, number][] = DEFAULT_MATMUL_SHAPES, opts: MatmulBenchOptions = {}): Promise<MatmulBenchResult[]> {
  const { layouts = ['NT', 'NN', 'TN'], variants = ['register', 'workgroup'], warmup = 2, iterations = 5 } = opts;
  const timing = gpu.info.features.timestampQuery ? 'gpu-timestamps' : 'wall-clock';
  const original = matmulVariant(gpu);
  const rng = new Rng(1234);
  const results: MatmulBenchResult[] = [];
  try {
    for (const [M, K, N] of shapes) {
      for (const layout of layouts) {
        const transA = layout === 'TN';
        const transB = layout === 'NT';
        const aShape = transA ? [K, M] : [M, K];
        const bShape = transB ? [N, K] : [K, N];
        const a = gpu.upload(rng.uniformArray(M * K), aShape, 'f32', 'bench.a');
        const b = gpu.upload(rng.uniformArray(K * N), bShape, 'f32', 'bench.b');
        const c = gpu.empty([M, N], 'f32', 'bench.c');
        for (const variant of variants) {
          setMatmulVariant(gpu, variant);
          const once = () => void matmul(gpu, a, b, { transA, transB, out: c });
          let warmMs = Infinity;
          for (let i = 0; i < Math.max(warmup, 1); i++) warmMs = await gpu.time(once);
          // A timed pass costs ~1 ms on its own; a short product is repeated within one sample.
          const repeats = Math.min(MAX_REPEATS, Math.max(1, Math.ceil(MIN_SAMPLE_MS / warmMs)));
          const sample = () => {
            for (let r = 0; r < repeats; r++) once();
          };
          const times: number[] = [];
          for (let i = 0; i < iterations; i++) times.push((await gpu.time(sample)) / repeats);
          const medianMs = median(times);
          results.push({
            op: 'matmul',
            shape: [M, K, N],
            layout,
            variant,
            kernel: matmulKernel(gpu, matmulDims(aShape, bShape, transA, transB), transA, transB),
            medianMs: round(medianMs, 3),
            minMs: round(Math.min(...times), 3),
            gflops: round((2 * M * K * N) / (medianMs * 1e6), 3),
            timing,
            iterations,
            repeats,
          });
        }
        a.destroy();
        b.destroy();
        c.destroy();
      }
    }
  } finally {
    setMatmulVariant(gpu, original);
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
