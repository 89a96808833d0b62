// RMSNorm with Llama / Hugging Face semantics: y = x / sqrt(mean(x²) + eps) * weight.
// Shapes: x, y, dy, dx are (N,C) (N = B·T rows), weight and dWeight are (C), rstd is (N).
// The forward also returns rstd = 1 / sqrt(mean(x²) + eps) per row, which the backward reuses.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, dims, ShapeError } from './guards';
import source from '../../shaders/rmsnorm.wgsl?raw';

const WG_C = 64; // dWeight: channels per workgroup (coalesced loads along C)
const WG_R = 4; // dWeight: row lanes per channel
const ROW_WG = 32; // 'row' kernels: rows per workgroup (16 was slower, 64 no faster)

/**
 * How a row's reduction runs: 'row', one invocation per row reading vec4s (no workgroup memory or
 * barriers), on software adapters when C is a multiple of 4; 'workgroup', a workgroup per row
 * (gpu.reductionWidth wide) with a tree reduction, otherwise. Node/SwiftShader, medians of 5:
 * N1024 C128 forward 5.70 → 1.97 ms, backward 7.73 → 2.82; N2112 C128 10.09 → 3.54, 11.40 → 4.65;
 * N512 C576 7.67 → 3.28, 10.49 → 4.33. Results agree to rounding (other summation orders).
 */
export type RmsnormVariant = 'row' | 'workgroup';

const chosenVariants = new WeakMap<Gpu, RmsnormVariant>();

/** The variant this Gpu runs for rows of `channels` (setRmsnormVariant overrides the adapter's default). */
export function rmsnormVariant(gpu: Gpu, channels: number): RmsnormVariant {
  if (channels % 4 !== 0) return 'workgroup';
  return chosenVariants.get(gpu) ?? (gpu.info.adapter.isSoftware ? 'row' : 'workgroup');
}

/** Override the choice where C allows it (tests, benchmarks); null restores the adapter's default. */
export function setRmsnormVariant(gpu: Gpu, variant: RmsnormVariant | null): void {
  if (variant) chosenVariants.set(gpu, variant);
  else chosenVariants.delete(gpu);
}

/** The pipeline and grid of a row kernel ('rmsnorm_forward' or 'rmsnorm_backward') in the chosen variant. */
function rowLaunch(gpu: Gpu, entry: 'rmsnorm_forward' | 'rmsnorm_backward', rows: number, channels: number): { pipeline: GPUComputePipeline; workgroups: [number, number] } {
  if (rmsnormVariant(gpu, channels) === 'row') return { pipeline: gpu.kernel(source, `${entry}_row`, { ROW_WG }), workgroups: grid(ceilDiv(rows, ROW_WG)) };
  return { pipeline: gpu.kernel(source, entry, { WG: gpu.reductionWidth(channels) }), workgroups: grid(rows) };
}

function guard(op: string, x: Tensor, weight: Tensor): { rows: number; channels: number } {
  assertDType(op, { x, weight }, 'f32');
  const [rows, channels] = dims(op, 'x', x, 2);
  assertShape(op, 'weight', weight, [channels]);
  if (rows < 1 || channels < 1) throw new ShapeError(op, `x must be a non-empty (N,C), got ${x}.`);
  return { rows, channels };
}

function rowParams(rows: number, channels: number, eps: number, addResidual = false): ArrayBuffer {
  return params().u32(rows).u32(channels).f32(eps).u32(addResidual ? 1 : 0).build();
}

/** x is (N,C), weight is (C) → y (N,C) and rstd (N). */
export function rmsnormForward(gpu: Gpu, x: Tensor, weight: Tensor, eps: number): { y: Tensor; rstd: Tensor } {
  const op = 'rmsnormForward';
  const { rows, channels } = guard(op, x, weight);
  if (!(eps > 0)) throw new ShapeError(op, `eps must be positive, got ${eps}.`);
  const y = gpu.empty([rows, channels], 'f32', 'rmsnorm.y');
  const rstd = gpu.empty([rows], 'f32', 'rmsnorm.rstd');
  gpu.dispatch({
    ...rowLaunch(gpu, 'rmsnorm_forward', rows, channels),
    params: rowParams(rows, channels, eps),
    buffers: [x, weight, y, rstd],
  });
  return { y, rstd };
}

export interface RmsnormBackwardOptions {
  /** (N,C) added into dx in the same pass: the gradient of a residual branch around the norm. */
  residual?: Tensor;
}

/**
 * dx (written, (N,C), plus `residual` when given) and dWeight += Σ_rows dy·x̂ ((C), accumulated,
 * deterministic). x and dy are (N,C), weight is (C), rstd is (N) from `rmsnormForward`.
 */
export function rmsnormBackward(gpu: Gpu, x: Tensor, weight: Tensor, rstd: Tensor, dy: Tensor, dWeight?: Tensor, options: RmsnormBackwardOptions = {}): Tensor {
  const op = 'rmsnormBackward';
  const { rows, channels } = guard(op, x, weight);
  assertDType(op, { rstd, dy }, 'f32');
  assertShape(op, 'rstd', rstd, [rows]);
  assertShape(op, 'dy', dy, [rows, channels]);
  if (dWeight) {
    assertDType(op, { dWeight }, 'f32');
    assertShape(op, 'dWeight', dWeight, [channels]);
  }
  const { residual } = options;
  if (residual) {
    assertDType(op, { residual }, 'f32');
    assertShape(op, 'residual', residual, [rows, channels]);
  }
  const dx = gpu.empty([rows, channels], 'f32', 'rmsnorm.dx');
  const p = rowParams(rows, channels, 0);
  gpu.dispatch({
    ...rowLaunch(gpu, 'rmsnorm_backward', rows, channels),
    params: rowParams(rows, channels, 0, !!residual),
    buffers: [x, weight, rstd, dy, dx, residual ?? dy], // dy stands in for an absent residual (never read)
  });
  // A frozen weight (LoRA training) needs no gradient: skip its reduction.
  if (!dWeight) return dx;
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'rmsnorm_backward_weight', { WG_C, WG_R }),
    params: p,
    buffers: [x, rstd, dy, dWeight],
    workgroups: [ceilDiv(channels, WG_C)],
  });
  return dx;
}

// ---- CPU reference (f64) ---------------------------------------------------------------------------

/** x is (N,C) flat, weight is (C) → y (N,C), rstd (N). */
export function rmsnormForwardCpu(x: ArrayLike<number>, weight: ArrayLike<number>, eps: number): { y: Float64Array; rstd: Float64Array } {
  const channels = weight.length;
  const rows = x.length / channels;
  const y = new Float64Array(x.length);
  const rstd = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    let sumSq = 0;
    for (let c = 0; c < channels; c++) sumSq += x[n * channels + c] ** 2;
    const r = 1 / Math.sqrt(sumSq / channels + eps);
    rstd[n] = r;
    for (let c = 0; c < channels; c++) y[n * channels + c] = x[n * channels + c] * r * weight[c];
  }
  return { y, rstd };
}

/** dx (N,C) and dWeight0 + dWeight (C); rstd is recomputed in f64 from x. */
export function rmsnormBackwardCpu(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  dy: ArrayLike<number>,
  eps: number,
  dWeight0: ArrayLike<number> = new Float64Array(weight.length),
): { dx: Float64Array; dWeight: Float64Array } {
  const channels = weight.length;
  const rows = x.length / channels;
  const { rstd } = rmsnormForwardCpu(x, weight, eps);
  const dx = new Float64Array(x.length);
  const dWeight = Float64Array.from(dWeight0);
  for (let n = 0; n < rows; n++) {
    const r = rstd[n];
    let dot = 0;
    for (let c = 0; c < channels; c++) dot += weight[c] * dy[n * channels + c] * x[n * channels + c] * r;
    const meanDot = dot / channels;
    for (let c = 0; c < channels; c++) {
      const i = n * channels + c;
      const xhat = x[i] * r;
      dx[i] = r * (weight[c] * dy[i] - xhat * meanDot);
      dWeight[c] += dy[i] * xhat;
    }
  }
  return { dx, dWeight };
}
