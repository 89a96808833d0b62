// Matrix multiply, the engine's hot path (the linear layer built on it is in linear.ts): the
// operands' checks and the kernel's choice here, its dispatch in matmul-launch.ts.
//
//   matmul:  C = alpha·op(A)·op(B) (+ bias) (+ C when accumulating), op(X) = Xᵀ when trans is set
//
// Shapes (M/N/K matmul dims, Bt batch): A is (Bt,M,K), or (Bt,K,M) with transA; B is (Bt,K,N),
// or (Bt,N,K) with transB; C is (Bt,M,N); bias is (N). A 2-D operand is shared over the batch
// (a weight); when both operands are 2-D, C is (M,N).
//
// Kernels, chosen per call:
//   gemv_nt                x·Wᵀ with fewer than GEMV_MAX_ROWS rows (decoding), any adapter
//   matmul_register_tile   variant 'register' (software adapters) when the vec4 dims allow; its
//                          8 threads lie along N, or along M when C has few tile columns
//                          (registerLayout: LoRA's N = 16 products ran 2–6× faster so), a
//                          uniform rather than a pipeline constant, since each pipeline of this
//                          kernel costs a software adapter ~0.5–1 s of CPU to compile; with N a
//                          multiple of 4 its _n4 entry point stores C a vec4 at a time: two
//                          alternations of bench/ab-scenarios.ts (Node) gave a 64-row decode step
//                          141/150 → 119/109 ms and a LoRA step's CPU time 8.8/8.5 → 8.1/8.1 s;
//                          full fine-tuning's larger products (bench/matmul-shapes.ts, six
//                          alternations) gained only where N = 344 (x·Wᵀ of gate/up, 1.4×)
//   matmul_simple          variant 'register' otherwise (odd sizes), and the TN K remainder
//   split-K                a TN register-tile product whose C fills fewer than 8 workgroups
//                          (LoRA's dA and dB over a step's tokens: one workgroup, so one CPU
//                          thread) runs as a batch of chunks along K and a second dispatch that
//                          sums them (matmul-launch.ts): the LoRA step's matmuls 225–278 →
//                          198–215 ms of GPU time in three alternations (Node), 56 more dispatches
// Options fused into every kernel: a kept dropout mask (on A, B or the product) and, on the
// register tile, a second operand pair along K (LoRA's up-projection in the base product, and its
// input gradient, masked, in the base input gradient).
//   matmul_workgroup_tile  variant 'workgroup' (real GPUs), any sizes
// Measured in Node (Dawn on SwiftShader, two shared cores; `npm run bench -- --only matmul`), medians: the
// register tile 3.4–5.1 GFLOP/s at 512³, 1024³, 256×576×1536 and 256×1536×576 in all three
// layouts, the workgroup tile 0.8–1.1, GEMV 0.8 at one row of 576→1536.

import { ceilDiv, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import type { Tolerance } from '../util/compare';
import { assertDType, assertShape, ShapeError } from './guards';
import { launchKernel, splitK, splitKChunks, zeroBias, type Launch } from './matmul-launch';

export { registerLayout, splitKChunks } from './matmul-launch';

export type MatmulVariant = 'register' | 'workgroup';
export type MatmulKernel = 'gemv' | 'simple' | MatmulVariant;

export interface MatmulOptions {
  transA?: boolean; // A is stored (Bt,K,M)
  transB?: boolean; // B is stored (Bt,N,K), e.g. a weight in [out, in] layout
  bias?: Tensor; // (N), added to every row of C
  accumulate?: boolean; // C += result (needs `out`); bias and alpha apply to the added part
  out?: Tensor; // C, (Bt,M,N) or (M,N); a new tensor when omitted
  alpha?: number; // scale of op(A)·op(B), default 1
  dropout?: MatmulDropout; // a kept dropout mask applied inside the kernel
  extra?: MatmulExtra; // a second operand pair appended along K (NT or NN, 2-D)
}

/**
 * A second operand pair appended along K: C = alpha·(op(A)·op(B) + scale·A2·op(B2)) (+ bias) (+ C)
 * for NT and NN products of 2-D operands: A2 is (M,K2), B2 is stored as B is, (N,K2) with transB,
 * else (K2,N). A LoRA forward is y = [x | s·u]·[W | B]ᵀ; its input gradient adds
 * drop⁻¹(s·dy·B)·A into dy·W (a dropout mask `on: 'extra'` scales the pair's product alone). On the
 * register tile one pass over C (the pair runs as ⌈K2/4⌉ more K-quad steps, before A·B's),
 * elsewhere a second, accumulating dispatch.
 */
export interface MatmulExtra {
  a: Tensor; // A2 (M,K2)
  b: Tensor; // B2 (N,K2) with transB, else (K2,N)
  scale: number; // s, applied to A2
}

/**
 * Dropout with a mask kept by `dropoutForwardMasked`/`dropoutDrawMask` (u32 bits over the flat
 * elements), applied where the matmul reads or writes, so the dropped tensor is never stored:
 *   on 'a' / 'b'   that operand is read as X·keep/(1−p), over its stored elements (any layout)
 *   on 'product'   the new part alpha·op(A)·op(B) (+ bias) is scaled by keep/(1−p) at C's
 *                  elements before it is written or added (dx += drop⁻¹(…) in a backward)
 *   on 'extra'     only the second pair's product (MatmulExtra) is scaled so, at C's elements
 * Values equal dropping first (or after) with the dropout ops, bit for bit.
 */
export interface MatmulDropout {
  mask: Tensor; // u32 (⌈elements/32⌉) keep bits of the operand (or of C)
  p: number; // drop probability in (0, 1)
  on: 'a' | 'b' | 'product' | 'extra';
}

export interface MatmulDims {
  batch: number; // Bt, 1 when both operands are 2-D
  M: number;
  K: number;
  N: number;
  aBatched: boolean; // false: A is 2-D and shared over the batch
  bBatched: boolean;
  outShape: number[]; // (Bt,M,N), or (M,N) when both operands are 2-D
}

/**
 * Below this many rows x·Wᵀ runs as a GEMV. On SwiftShader (576→1536) GEMV took 2.0 ms at 1 row,
 * 4.2 at 2 and 6.2 at 3; the 16×16 register tile 4.7 ms at 1 to 4 rows.
 */
export const GEMV_MAX_ROWS = 3;

/** Shapes of a matmul from its operands' shapes; throws a ShapeError naming `op` and the shapes. */
export function matmulDims(aShape: readonly number[], bShape: readonly number[], transA = false, transB = false, op = 'matmul'): MatmulDims {
  const both = `A${shapeString(aShape)}${transA ? 'ᵀ' : ''}, B${shapeString(bShape)}${transB ? 'ᵀ' : ''}`;
  for (const [name, shape] of [['A', aShape], ['B', bShape]] as const) {
    if (shape.length !== 2 && shape.length !== 3) throw new ShapeError(op, `${name} must be 2-D or 3-D (batch first), got ${both}.`);
  }
  const [aRows, aCols] = aShape.slice(-2);
  const [bRows, bCols] = bShape.slice(-2);
  const [M, K] = transA ? [aCols, aRows] : [aRows, aCols];
  const [kB, N] = transB ? [bCols, bRows] : [bRows, bCols];
  if (K !== kB) throw new ShapeError(op, `inner dimensions differ (K=${K} from A, ${kB} from B): ${both}.`);
  const aBatched = aShape.length === 3;
  const bBatched = bShape.length === 3;
  if (aBatched && bBatched && aShape[0] !== bShape[0]) throw new ShapeError(op, `batch sizes differ: ${both}.`);
  const batch = aBatched ? aShape[0] : bBatched ? bShape[0] : 1;
  const outShape = aBatched || bBatched ? [batch, M, N] : [M, N];
  return { batch, M, K, N, aBatched, bBatched, outShape };
}

// ---- kernel choice ---------------------------------------------------------------------------

const chosenVariants = new WeakMap<Gpu, MatmulVariant>();

/**
 * The matmul variant for this Gpu: register tiles on software adapters (4–5× faster than
 * workgroup tiles on SwiftShader in Node: 4.5–5 against 0.9–1.1 GFLOP/s at 512³), workgroup
 * tiles on real GPUs. Fixed at first use; `setMatmulVariant` overrides it (tests, benchmarks).
 */
export function matmulVariant(gpu: Gpu): MatmulVariant {
  let variant = chosenVariants.get(gpu);
  if (!variant) {
    variant = gpu.info.adapter.isSoftware ? 'register' : 'workgroup';
    chosenVariants.set(gpu, variant);
  }
  return variant;
}

export function setMatmulVariant(gpu: Gpu, variant: MatmulVariant): void {
  chosenVariants.set(gpu, variant);
}

/** The kernel a matmul of these dims runs on this Gpu. */
export function matmulKernel(gpu: Gpu, d: MatmulDims, transA = false, transB = false, dropout = false): MatmulKernel {
  if (!transA && transB && d.M < GEMV_MAX_ROWS && d.K % 4 === 0 && !dropout) return 'gemv';
  if (matmulVariant(gpu) === 'workgroup') return 'workgroup';
  // Each operand is read as vec4s along its contiguous dimension, K in steps of 4. TN (both
  // operands K-major: the weight gradient over any token count) leaves a K remainder to a second
  // dispatch; in every other layout K is a row length, and then its vec4s must not straddle rows.
  const aVec4 = (transA ? d.M : d.K) % 4 === 0;
  const bVec4 = (transB ? d.K : d.N) % 4 === 0;
  const kSteps = d.K % 4 === 0 || (transA && !transB);
  return aVec4 && bVec4 && kSteps ? 'register' : 'simple';
}

// ---- launchers -------------------------------------------------------------------------------

/** C = alpha·op(A)·op(B) (+ bias) (+ C with accumulate). Shapes in the file header. */
export function matmul(gpu: Gpu, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false, bias, accumulate = false, out, alpha = 1, dropout, extra } = opts;
  const op = 'matmul';
  const d = matmulDims(a.shape, b.shape, transA, transB, op);
  assertDType(op, { a, b }, 'f32');
  if (bias) {
    assertDType(op, { bias }, 'f32');
    assertShape(op, 'bias', bias, [d.N]);
  }
  if (accumulate && !out) throw new ShapeError(op, `accumulate needs an output tensor to add into (A${shapeString(a.shape)}, B${shapeString(b.shape)}).`);
  if (out) {
    assertDType(op, { out }, 'f32');
    const fits = out.size === d.batch * d.M * d.N && out.shape[out.shape.length - 1] === d.N;
    if (!fits) throw new ShapeError(op, `out must be ${shapeString(d.outShape)}, got ${shapeString(out.shape)} (A${shapeString(a.shape)}, B${shapeString(b.shape)}).`);
    if (out.buffer === a.buffer || out.buffer === b.buffer || out.buffer === bias?.buffer) {
      throw new ShapeError(op, `out ${out} shares its buffer with an input; pass a separate tensor.`);
    }
  }
  if (!Number.isFinite(alpha)) throw new ShapeError(op, `alpha must be finite, got ${alpha}.`);
  if (extra) checkExtra(extra, d, transA, transB, dropout, `A${shapeString(a.shape)}, B${shapeString(b.shape)}`);
  if (dropout) checkDropout(dropout, dropout.on === 'a' ? a.size : dropout.on === 'b' ? b.size : d.batch * d.M * d.N, `A${shapeString(a.shape)}, B${shapeString(b.shape)}`);
  if (dropout?.on === 'extra' && !extra) throw new ShapeError(op, `a dropout mask on 'extra' needs a second pair (A${shapeString(a.shape)}, B${shapeString(b.shape)}).`);
  const c = out ?? gpu.empty(d.outShape, 'f32', 'matmul.c');
  if (d.batch * d.M * d.N === 0) return c;

  const kernel = matmulKernel(gpu, d, transA, transB, !!dropout);
  const kTail = kernel === 'register' ? d.K % 4 : 0;
  // The second pair rides along in the register tile's K loop when its K2 is a multiple of 4 (and,
  // masked, when C's quads lie whole in a row: N a multiple of 4).
  const extraDrop = dropout?.on === 'extra' ? dropout : undefined;
  const fusable = kernel === 'register' && !kTail && extra && extra.a.shape[1] % 4 === 0 && (!extraDrop || d.N % 4 === 0);
  const fused = fusable ? extra : null;
  const mainDrop = extraDrop && !fused ? undefined : dropout; // unfused, the pair's own dispatch takes its mask
  const launch: Launch = {
    gpu,
    d,
    transA,
    transB,
    drop: mainDrop ? DROP_CODE[mainDrop.on] : 0,
    dropScale: mainDrop ? 1 / (1 - mainDrop.p) : 1,
    extra: fused,
    buffers: [a, b, c, bias ?? zeroBias(gpu), mainDrop?.mask ?? zeroBias(gpu)],
  };
  const chunks = kernel === 'register' && transA && !transB && d.batch === 1 && !bias && !fused && dropout?.on !== 'product' ? splitKChunks(d) : 1;
  if (chunks > 1) {
    splitK(launch, alpha, accumulate, chunks);
    return c;
  }
  launchKernel(launch, kernel, { alpha, accumulate, hasBias: !!bias, kBegin: 0, kCount: d.K - kTail });
  // TN over a K that is not a multiple of 4: the last rows of both operands, added on.
  if (kTail) launchKernel({ ...launch, extra: null }, 'simple', { alpha, accumulate: true, hasBias: false, kBegin: d.K - kTail, kCount: kTail });
  if (extra && !fused) {
    const productDrop = extraDrop ? { ...extraDrop, on: 'product' as const } : undefined;
    matmul(gpu, extra.a, extra.b, { transB, alpha: alpha * extra.scale, accumulate: true, out: c.view([d.M, d.N]), dropout: productDrop });
  }
  return c;
}

function checkExtra(extra: MatmulExtra, d: MatmulDims, transA: boolean, transB: boolean, dropout: MatmulDropout | undefined, operands: string): void {
  const op = 'matmul';
  const pair = `A2${shapeString(extra.a.shape)}, B2${shapeString(extra.b.shape)}`;
  if (transA || d.batch !== 1 || d.aBatched || d.bBatched) throw new ShapeError(op, `extra needs 2-D operands and not transA (${operands}).`);
  assertDType(op, { a2: extra.a, b2: extra.b }, 'f32');
  const [m2, k2] = extra.a.shape;
  const b2Shape = transB ? [d.N, k2] : [k2, d.N];
  if (extra.a.shape.length !== 2 || extra.b.shape.length !== 2 || m2 !== d.M || extra.b.shape[0] !== b2Shape[0] || extra.b.shape[1] !== b2Shape[1]) {
    const b2 = transB ? `(N=${d.N}, K2)` : `(K2, N=${d.N})`;
    throw new ShapeError(op, `extra must be A2 (M=${d.M}, K2) and B2 ${b2}, got ${pair} (${operands}).`);
  }
  if (!Number.isFinite(extra.scale)) throw new ShapeError(op, `extra.scale must be finite, got ${extra.scale}.`);
  if (dropout?.on === 'product') throw new ShapeError(op, `extra and a dropout mask on the product cannot be combined (${operands}).`);
}

const DROP_CODE = { a: 1, b: 2, product: 3, extra: 4 } as const; // DROP in shaders/matmul_common.wgsl

function checkDropout({ mask, p, on }: MatmulDropout, elements: number, operands: string): void {
  const op = 'matmul';
  if (!(p > 0 && p < 1)) throw new ShapeError(op, `dropout p must be in (0, 1), got ${p} (${operands}).`);
  if (!(on in DROP_CODE)) throw new ShapeError(op, `dropout.on must be 'a', 'b', 'product' or 'extra', got ${JSON.stringify(on)}.`);
  assertDType(op, { mask }, 'u32');
  const words = Math.max(1, ceilDiv(elements, 32));
  if (mask.size !== words) throw new ShapeError(op, `dropout mask on ${on} must hold ${elements} bits in ${words} u32 words, got mask${shapeString(mask.shape)} (${operands}).`);
}

// ---- CPU references (f64) --------------------------------------------------------------------

export interface MatmulCpuOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: ArrayLike<number>; // (N)
  alpha?: number;
  accumulate?: boolean; // add into `out`
  out?: ArrayLike<number>; // C before the call, (Bt,M,N); needed with accumulate
}

/**
 * How close `matmul` comes to `matmulCpu` for operands in [-1, 1]: a dot product of K terms rounds
 * to a few f32 ulps of each term (the op tests, the linear tests and the kernel self-check).
 */
export function matmulTolerance(K: number): Tolerance {
  return { atol: 4e-7 * Math.max(K, 4), rtol: 1e-6 };
}

/** f64 reference of `matmul`; a and b are flat row-major data of aShape and bShape. */
export function matmulCpu(a: ArrayLike<number>, aShape: readonly number[], b: ArrayLike<number>, bShape: readonly number[], opts: MatmulCpuOptions = {}): Float64Array {
  const { transA = false, transB = false, bias, alpha = 1, accumulate = false, out } = opts;
  const { batch, M, K, N, aBatched, bBatched } = matmulDims(aShape, bShape, transA, transB, 'matmulCpu');
  const c = new Float64Array(batch * M * N);
  for (let t = 0; t < batch; t++) {
    const aBase = aBatched ? t * M * K : 0;
    const bBase = bBatched ? t * K * N : 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) {
          const av = a[aBase + (transA ? k * M + i : i * K + k)];
          const bv = b[bBase + (transB ? j * K + k : k * N + j)];
          sum += av * bv;
        }
        const at = (t * M + i) * N + j;
        c[at] = alpha * sum + (bias ? bias[j] : 0) + (accumulate && out ? out[at] : 0);
      }
    }
  }
  return c;
}
