// Dispatching matmul's kernels (src/ops/matmul.ts checks the operands and chooses the kernel): the
// shader sources, each kernel's tile and grid, the register tile's thread layout, the uniform
// block every kernel reads, and split-K for TN products whose C fills few workgroups.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { ShapeError } from './guards';
import type { MatmulDims, MatmulExtra, MatmulKernel } from './matmul';
import matmulCommon from '../../shaders/matmul_common.wgsl?raw';
import matmulRegister from '../../shaders/matmul_register.wgsl?raw';
import matmulScalar from '../../shaders/matmul_scalar.wgsl?raw';
import gemvSource from '../../shaders/gemv.wgsl?raw';
import splitKSource from '../../shaders/split_k.wgsl?raw';

// WGSL has no includes: each kernel file gets the shared declarations prepended.
const REGISTER_SOURCE = `${matmulCommon}\n${matmulRegister}`;
const SCALAR_SOURCE = `${matmulCommon}\n${matmulScalar}`;

const REGISTER_TILE = 16; // rows and columns of C per thread (matmul_register_tile)
const REGISTER_WG = 8; // threads per workgroup (measured best of 1…64), laid out by registerLayout
const WORKGROUP_TILE = 64; // rows and columns of C per workgroup (matmul_workgroup_tile)
const SIMPLE_BLOCK = 4 * 8; // rows and columns of C per workgroup (matmul_simple: 8×8 threads of 4×4)
const GEMV_COLUMNS = 8; // outputs per thread (gemv_nt)
const GEMV_WG = 32; // 32 and 64 tie at 576→1536; 32 is ~8% faster at 1536→576 (more workgroups)
const MAX_WORKGROUPS = 65535;
const zeroBiases = new WeakMap<Gpu, Tensor>();

export interface Launch {
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

export function launchKernel({ gpu, d, transA, transB, drop, dropScale, extra, buffers }: Launch, kernel: MatmulKernel, part: LaunchPart): void {
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

const SPLIT_K_MIN_WORKGROUPS = 8; // a TN register-tile product with fewer is split (software adapters' threads)
const SPLIT_K_MIN_CHUNK = 128; // K rows a chunk sums at least
const SPLIT_K_SUM_WG = 64; // the sum's workgroup size

/** How many chunks a TN register-tile product of these dims is split into along K (1: not split). */
export function splitKChunks(d: MatmulDims): number {
  const workgroups = launchGrid('register', d, registerLayout(d).WG_X).reduce((a, b) => a * b, 1);
  if (workgroups >= SPLIT_K_MIN_WORKGROUPS) return 1;
  // A power of two, so that a K that is a multiple of 4·S (a padded batch's) leaves no rows over.
  let chunks = 1;
  while (chunks * workgroups < SPLIT_K_MIN_WORKGROUPS && (chunks * 2) * SPLIT_K_MIN_CHUNK <= d.K) chunks *= 2;
  return chunks;
}

/** The product of `launch` in `chunks` chunks along K (splitKChunks), summed into C (added with `accumulate`). */
export function splitK(launch: Launch, alpha: number, accumulate: boolean, chunks: number): void {
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
export function zeroBias(gpu: Gpu): Tensor {
  let t = zeroBiases.get(gpu);
  if (!t) {
    t = gpu.zeros([4], 'f32', 'matmul.no-bias');
    zeroBiases.set(gpu, t);
  }
  return t;
}
