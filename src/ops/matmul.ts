// Matrix multiply, the engine's hot path (the linear layer built on it is in linear.ts).
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
//                          A TN product whose C fills fewer than 8 workgroups (LoRA's dA and
//                          dB over a step's tokens: one workgroup, so one CPU thread) is split
//                          along K into a batch of chunks and summed by a second dispatch
//                          (splitKChunks): the LoRA step's matmuls 225–278 → 198–215 ms of GPU
//                          time in three alternations (Node), 56 more dispatches
// Options fused into every kernel: a kept dropout mask (on A, B or the product) and, on the
// register tile, a second operand pair along K (LoRA's up-projection in the base product).
//   matmul_workgroup_tile  variant 'workgroup' (real GPUs), any sizes
// Measured in Node (Dawn on SwiftShader, two shared cores; `npm run bench -- --only matmul`), medians: the
// register tile 3.4–5.1 GFLOP/s at 512³, 1024³, 256×576×1536 and 256×1536×576 in all three
// layouts, the workgroup tile 0.8–1.1, GEMV 0.8 at one row of 576→1536.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, ShapeError } from './guards';
import matmulCommon from '../../shaders/matmul_common.wgsl?raw';
import matmulRegister from '../../shaders/matmul_register.wgsl?raw';
import matmulScalar from '../../shaders/matmul_scalar.wgsl?raw';
import gemvSource from '../../shaders/gemv.wgsl?raw';
import splitKSource from '../../shaders/split_k.wgsl?raw';

// WGSL has no includes: each kernel file gets the shared declarations prepended.
const REGISTER_SOURCE = `${matmulCommon}\n${matmulRegister}`;
const SCALAR_SOURCE = `${matmulCommon}\n${matmulScalar}`;

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
  extra?: MatmulExtra; // a second operand pair appended along K (NT, 2-D)
}

/**
 * A second operand pair appended along K: C = alpha·([A | scale·A2]·[B | B2]ᵀ) (+ bias) (+ C),
 * for NT products of 2-D operands: A2 is (M,K2), B2 is (N,K2). A LoRA forward is
 * y = [x | s·u]·[W | B]ᵀ: on the register tile one pass over C (the pair runs as 4·⌈K2/4⌉ more
 * K steps), elsewhere a second, accumulating dispatch.
 */
export interface MatmulExtra {
  a: Tensor; // A2 (M,K2)
  b: Tensor; // B2 (N,K2)
  scale: number; // s, applied to A2
}

/**
 * Dropout with a mask kept by `dropoutForwardMasked`/`dropoutDrawMask` (u32 bits over the flat
 * elements), applied where the matmul reads or writes, so the dropped tensor is never stored:
 *   on 'a' / 'b'   that operand is read as X·keep/(1−p), over its stored elements (any layout)
 *   on 'product'   the new part alpha·op(A)·op(B) (+ bias) is scaled by keep/(1−p) at C's
 *                  elements before it is written or added (dx += drop⁻¹(…) in a backward)
 * Values equal dropping first (or after) with the dropout ops, bit for bit.
 */
export interface MatmulDropout {
  mask: Tensor; // u32 (⌈elements/32⌉) keep bits of the operand (or of C)
  p: number; // drop probability in (0, 1)
  on: 'a' | 'b' | 'product';
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

const REGISTER_TILE = 16; // rows and columns of C per thread (matmul_register_tile)
const REGISTER_WG = 8; // threads per workgroup (measured best of 1…64), laid out by registerLayout
const WORKGROUP_TILE = 64; // rows and columns of C per workgroup (matmul_workgroup_tile)
const SIMPLE_BLOCK = 4 * 8; // rows and columns of C per workgroup (matmul_simple: 8×8 threads of 4×4)
const GEMV_COLUMNS = 8; // outputs per thread (gemv_nt)
const GEMV_WG = 32; // 32 and 64 tie at 576→1536; 32 is ~8% faster at 1536→576 (more workgroups)
/**
 * Below this many rows x·Wᵀ runs as a GEMV. On SwiftShader (576→1536) GEMV took 2.0 ms at 1 row,
 * 4.2 at 2 and 6.2 at 3; the 16×16 register tile 4.7 ms at 1 to 4 rows.
 */
export const GEMV_MAX_ROWS = 3;
const MAX_WORKGROUPS = 65535;

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
const zeroBiases = new WeakMap<Gpu, Tensor>();

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
  const c = out ?? gpu.empty(d.outShape, 'f32', 'matmul.c');
  if (d.batch * d.M * d.N === 0) return c;

  const kernel = matmulKernel(gpu, d, transA, transB, !!dropout);
  const kTail = kernel === 'register' ? d.K % 4 : 0;
  // The second pair rides along in the register tile's K loop when its K2 is a multiple of 4.
  const fused = extra && kernel === 'register' && !kTail && extra.a.shape[1] % 4 === 0 ? extra : null;
  const launch: Launch = {
    gpu,
    d,
    transA,
    transB,
    drop: dropout ? DROP_CODE[dropout.on] : 0,
    dropScale: dropout ? 1 / (1 - dropout.p) : 1,
    extra: fused,
    buffers: [a, b, c, bias ?? zeroBias(gpu), dropout?.mask ?? zeroBias(gpu)],
  };
  const chunks = kernel === 'register' && transA && !transB && d.batch === 1 && !bias && !fused && dropout?.on !== 'product' ? splitKChunks(d) : 1;
  if (chunks > 1) {
    splitK(launch, alpha, accumulate, chunks);
    return c;
  }
  launchKernel(launch, kernel, { alpha, accumulate, hasBias: !!bias, kBegin: 0, kCount: d.K - kTail });
  // TN over a K that is not a multiple of 4: the last rows of both operands, added on.
  if (kTail) launchKernel({ ...launch, extra: null }, 'simple', { alpha, accumulate: true, hasBias: false, kBegin: d.K - kTail, kCount: kTail });
  if (extra && !fused) matmul(gpu, extra.a, extra.b, { transB: true, alpha: alpha * extra.scale, accumulate: true, out: c.view([d.M, d.N]) });
  return c;
}

function checkExtra(extra: MatmulExtra, d: MatmulDims, transA: boolean, transB: boolean, dropout: MatmulDropout | undefined, operands: string): void {
  const op = 'matmul';
  const pair = `A2${shapeString(extra.a.shape)}, B2${shapeString(extra.b.shape)}`;
  if (transA || !transB || d.batch !== 1 || d.aBatched || d.bBatched) throw new ShapeError(op, `extra needs 2-D operands with transB and not transA (${operands}).`);
  assertDType(op, { a2: extra.a, b2: extra.b }, 'f32');
  const [m2, k2] = extra.a.shape;
  if (extra.a.shape.length !== 2 || extra.b.shape.length !== 2 || m2 !== d.M || extra.b.shape[0] !== d.N || extra.b.shape[1] !== k2) {
    throw new ShapeError(op, `extra must be A2 (M=${d.M}, K2) and B2 (N=${d.N}, K2), got ${pair} (${operands}).`);
  }
  if (!Number.isFinite(extra.scale)) throw new ShapeError(op, `extra.scale must be finite, got ${extra.scale}.`);
  if (dropout?.on === 'product') throw new ShapeError(op, `extra and a dropout mask on the product cannot be combined (${operands}).`);
}

const DROP_CODE = { a: 1, b: 2, product: 3 } as const; // DROP in shaders/matmul_common.wgsl

function checkDropout({ mask, p, on }: MatmulDropout, elements: number, operands: string): void {
  const op = 'matmul';
  if (!(p > 0 && p < 1)) throw new ShapeError(op, `dropout p must be in (0, 1), got ${p} (${operands}).`);
  if (!(on in DROP_CODE)) throw new ShapeError(op, `dropout.on must be 'a', 'b' or 'product', got ${JSON.stringify(on)}.`);
  assertDType(op, { mask }, 'u32');
  const words = Math.max(1, ceilDiv(elements, 32));
  if (mask.size !== words) throw new ShapeError(op, `dropout mask on ${on} must hold ${elements} bits in ${words} u32 words, got mask${shapeString(mask.shape)} (${operands}).`);
}

interface Launch {
  gpu: Gpu;
  d: MatmulDims;
  transA: boolean;
  transB: boolean;
  drop: number; // DROP override: 0 none, 1 A, 2 B, 3 product
  dropScale: number; // 1 / (1 − p)
  extra: MatmulExtra | null; // a second pair in the register tile's K loop
  buffers: Tensor[]; // a, b, c, bias, dropout mask
}

interface LaunchPart {
  alpha: number;
  accumulate: boolean;
  hasBias: boolean;
  kBegin: number; // first K index this dispatch sums over (nonzero only for the TN remainder)
  kCount: number; // how many K indices it sums over
}

function launchKernel({ gpu, d, transA, transB, drop, dropScale, extra, buffers }: Launch, kernel: MatmulKernel, part: LaunchPart): void {
  const threadsAlongN = kernel === 'register' ? registerLayout(d).WG_X : 0;
  const workgroups = launchGrid(kernel, d, threadsAlongN);
  if (workgroups.some((n) => n > MAX_WORKGROUPS)) {
    throw new ShapeError('matmul', `${shapeString(d.outShape)} needs ${workgroups.join('×')} workgroups, more than ${MAX_WORKGROUPS} in one dimension.`);
  }
  const layout: Record<string, number> = { TRANS_A: Number(transA), TRANS_B: Number(transB), ...(drop ? { DROP: drop } : {}) };
  const extraConstant: Record<string, number> = kernel === 'register' && extra ? { EXTRA: 1 } : {};
  const pipeline =
    kernel === 'gemv'
      ? gpu.kernel(gemvSource, 'gemv_nt', { WG: GEMV_WG })
      : kernel === 'register'
        ? gpu.kernel(REGISTER_SOURCE, d.N % 4 === 0 ? 'matmul_register_tile_n4' : 'matmul_register_tile', { ...layout, ...extraConstant })
        : gpu.kernel(SCALAR_SOURCE, `matmul_${kernel === 'simple' ? 'simple' : 'workgroup_tile'}`, layout);
  gpu.dispatch({
    pipeline,
    params: params()
      .u32(d.M)
      .u32(d.N)
      .u32(part.kCount)
      .u32(d.aBatched ? d.M * d.K : 0)
      .u32(d.bBatched ? d.K * d.N : 0)
      .f32(part.alpha)
      .u32(part.accumulate ? 1 : 0)
      .u32(part.hasBias ? 1 : 0)
      .u32(part.kBegin)
      .f32(dropScale)
      .u32(extra ? extra.a.shape[1] : 0)
      .f32(extra ? extra.scale : 0)
      .u32(threadsAlongN)
      .build(),
    // Each entry point binds what it reads: GEMV no mask; the register tile the second pair too.
    buffers: kernel === 'gemv' ? buffers.slice(0, 4) : kernel === 'register' ? [...buffers, extra?.a ?? zeroBias(gpu), extra?.b ?? zeroBias(gpu)] : buffers,
    workgroups,
  });
}

// ---- split-K -----------------------------------------------------------------------------------
//
// A TN product with a small C and a long K (LoRA's dA = (s·dy·B)ᵀ·drop(x) and dB = s·dyᵀ·u: C is
// 16×128 over K = the step's tokens) fills one register-tile workgroup, which a software adapter
// runs on one CPU thread however many it has. Split, K's rows are cut into S chunks that run as the
// batch of one dispatch (A (K,M) and B (K,N) are K-major, so chunk s is rows s·k..(s+1)·k of both:
// a batch stride), each writing its product into partial[s]; a second dispatch adds the chunks in
// order into C. Rows past S·k (fewer than 4·S + 4) are added into partial[0] by matmul_simple.

/** Workgroups below which a TN register-tile product is split along K (software adapters' threads). */
export const SPLIT_K_WORKGROUPS = { min: 8 };
const SPLIT_K_MIN_CHUNK = 128; // K rows a chunk sums at least

/** How many chunks a TN register-tile product of these dims is split into along K (1: not split). */
export function splitKChunks(d: MatmulDims): number {
  const workgroups = launchGrid('register', d, registerLayout(d).WG_X).reduce((a, b) => a * b, 1);
  if (workgroups >= SPLIT_K_WORKGROUPS.min) return 1;
  // A power of two, so that a K that is a multiple of 4·S (a padded batch's) leaves no rows over.
  let chunks = 1;
  while (chunks * workgroups < SPLIT_K_WORKGROUPS.min && (chunks * 2) * SPLIT_K_MIN_CHUNK <= d.K) chunks *= 2;
  return chunks;
}

function splitK(launch: Launch, alpha: number, accumulate: boolean, chunks: number): void {
  const { gpu, d } = launch;
  const chunk = Math.floor(d.K / (4 * chunks)) * 4;
  const partial = gpu.empty([chunks, d.M, d.N], 'f32', 'matmul.splitK');
  const [a, b, c, ...rest] = launch.buffers;
  const batched: MatmulDims = { ...d, batch: chunks, K: chunk, aBatched: true, bBatched: true, outShape: [chunks, d.M, d.N] };
  launchKernel({ ...launch, d: batched, buffers: [a, b, partial, ...rest] }, 'register', { alpha, accumulate: false, hasBias: false, kBegin: 0, kCount: chunk });
  const rows = d.K - chunks * chunk;
  if (rows) launchKernel({ ...launch, buffers: [a, b, partial, ...rest] }, 'simple', { alpha, accumulate: true, hasBias: false, kBegin: chunks * chunk, kCount: rows });
  const n = d.M * d.N;
  const workgroups = grid(ceilDiv(n, SPLIT_K_SUM_WG));
  gpu.dispatch({
    pipeline: gpu.kernel(splitKSource, 'split_k_sum', { WG: SPLIT_K_SUM_WG }),
    params: params().u32(n).u32(chunks).u32(accumulate ? 1 : 0).u32(workgroups[0] * SPLIT_K_SUM_WG).build(),
    buffers: [partial, c],
    workgroups,
  });
  partial.destroy();
}

const SPLIT_K_SUM_WG = 64;

/** The dispatch grid; `threadsAlongN` is the register tile's layout (registerLayout's WG_X). */
function launchGrid(kernel: MatmulKernel, d: MatmulDims, threadsAlongN: number): [number, number, number] {
  if (kernel === 'gemv') return [ceilDiv(ceilDiv(d.N, GEMV_COLUMNS), GEMV_WG), d.M, d.batch];
  if (kernel === 'register') {
    return [ceilDiv(ceilDiv(d.N, REGISTER_TILE), threadsAlongN), ceilDiv(ceilDiv(d.M, REGISTER_TILE), REGISTER_WG / threadsAlongN), d.batch];
  }
  const block = kernel === 'simple' ? SIMPLE_BLOCK : WORKGROUP_TILE;
  return [ceilDiv(d.N, block), ceilDiv(d.M, block), d.batch];
}

/**
 * Threads of a register-tile workgroup along N and M: the split of the 8 that pads C's tile grid
 * least (SwiftShader runs invocations four at a time, so a padded tile costs as much as a real
 * one), preferring threads along N. LoRA's N = 16 (one tile column) puts all 8 along M; the FFN's
 * N = 344 (22 tile columns) 2 along N and 4 along M (8 along N would run 24 columns).
 */
export function registerLayout(d: MatmulDims): { WG_X: number; WG_Y: number } {
  const columns = ceilDiv(d.N, REGISTER_TILE);
  const rows = ceilDiv(d.M, REGISTER_TILE);
  let best = { WG_X: REGISTER_WG, WG_Y: 1 };
  let bestTiles = Infinity;
  for (let x = REGISTER_WG; x >= 1; x /= 2) {
    const y = REGISTER_WG / x;
    const tiles = ceilDiv(columns, x) * x * ceilDiv(rows, y) * y;
    if (tiles < bestTiles) [best, bestTiles] = [{ WG_X: x, WG_Y: y }, tiles];
  }
  return best;
}

/** A bias binding for launches without bias (the shader skips it; WebGPU still needs a buffer). */
function zeroBias(gpu: Gpu): Tensor {
  let t = zeroBiases.get(gpu);
  if (!t) {
    t = gpu.zeros([4], 'f32', 'matmul.no-bias');
    zeroBiases.set(gpu, t);
  }
  return t;
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
