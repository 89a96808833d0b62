// AdamW with PyTorch's semantics (torch.optim.AdamW, decoupled weight decay, no amsgrad), and
// global-norm gradient clipping with torch.nn.utils.clip_grad_norm_'s semantics, all on the GPU:
//
//   const normSq = gradNormSquared(gpu, grads);        // (1) Σ g² over all tensors, deterministic
//   const factor = clipFactor(gpu, normSq, maxNorm);   // (1) min(1, maxNorm / (‖g‖ + 1e-6))
//   for (...) adamwStep(gpu, param, grad, m, v, { lr, step, clip: factor });
//
// No readback is needed; read normSq only to log the norm. Shapes: param, grad, m and v of one
// step are any shape with the same element count; m and v start at zero, step counts from 1.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertSameSize, assertShape, ShapeError } from './guards';
import source from '../../shaders/adamw.wgsl?raw';

const WG = 256;
const MAX_GROUPS_PER_TENSOR = 256; // partial sums per tensor; bigger tensors loop (grid-stride)
const SUMSQ_TENSORS_PER_DISPATCH = 6;

export interface AdamWOptions {
  lr: number; // learning rate of this step (after the schedule), e.g. 2e-4
  step: number; // 1-based step count t, for the bias corrections 1 - beta^t
  beta1?: number; // 0.9
  beta2?: number; // 0.999
  eps?: number; // 1e-8
  weightDecay?: number; // 0.01 (PyTorch's AdamW default); decoupled: p *= 1 - lr·wd
  gradScale?: number; // 1; the gradient is multiplied by this first (e.g. 1/loss scale)
  clip?: Tensor; // (1) factor from clipFactor(); multiplies the gradient as well
}

interface Resolved {
  lr: number;
  step: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  gradScale: number;
}

function resolve(options: Omit<AdamWOptions, 'clip'>): Resolved {
  const r: Resolved = {
    lr: options.lr,
    step: options.step,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? 0.01,
    gradScale: options.gradScale ?? 1,
  };
  if (!Number.isInteger(r.step) || r.step < 1) throw new ShapeError('adamwStep', `step must be an integer ≥ 1, got ${r.step}.`);
  if (!(r.lr >= 0)) throw new ShapeError('adamwStep', `lr must be ≥ 0, got ${r.lr}.`);
  if (!(r.beta1 >= 0 && r.beta1 < 1) || !(r.beta2 >= 0 && r.beta2 < 1)) {
    throw new ShapeError('adamwStep', `betas must lie in [0, 1), got (${r.beta1}, ${r.beta2}).`);
  }
  if (!(r.eps > 0)) throw new ShapeError('adamwStep', `eps must be > 0, got ${r.eps}.`);
  return r;
}

/** One AdamW update of param, m and v in place (f32). grad is read only. */
export function adamwStep(gpu: Gpu, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, options: AdamWOptions): void {
  const op = 'adamwStep';
  assertDType(op, { param, grad, m, v }, 'f32');
  assertSameSize(op, { param, grad, m, v });
  if (options.clip) assertShape(op, 'clip', options.clip, [1]);
  const o = resolve(options);
  if (param.size === 0) return;
  // Scalars in f64 on the host, as PyTorch computes them in Python floats.
  const bias1 = 1 - o.beta1 ** o.step;
  const bias2 = 1 - o.beta2 ** o.step;
  const workgroups = grid(ceilDiv(param.size, WG));
  const uniforms = params()
    .u32(param.size)
    .u32(workgroups[0] * WG)
    .f32(o.beta2)
    .f32(1 - o.beta1)
    .f32(1 - o.beta2)
    .f32(o.eps)
    .f32(1 - o.lr * o.weightDecay)
    .f32(o.lr / bias1)
    .f32(Math.sqrt(bias2))
    .f32(o.gradScale)
    .build();
  const buffers = [param, grad, m, v];
  gpu.dispatch({
    pipeline: gpu.kernel(source, options.clip ? 'adamw_step_clipped' : 'adamw_step', { WG }),
    params: uniforms,
    buffers: options.clip ? [...buffers, options.clip] : buffers,
    workgroups,
  });
}

/**
 * Σ (scale·g)² over all elements of all `grads`, into a (1) tensor, on the GPU. Deterministic:
 * the same inputs give the same bits (fixed reduction order, no atomics).
 */
export function gradNormSquared(gpu: Gpu, grads: readonly Tensor[], options: { scale?: number; out?: Tensor } = {}): Tensor {
  const op = 'gradNormSquared';
  grads.forEach((g, i) => assertDType(op, { [`grads[${i}]`]: g }, 'f32'));
  const out = options.out ?? gpu.empty([1], 'f32', 'grad.normSq');
  assertShape(op, 'out', out, [1]);
  const groups = grads.map((g) => Math.min(MAX_GROUPS_PER_TENSOR, ceilDiv(g.size, WG)));
  const count = groups.reduce((a, b) => a + b, 0);
  if (count === 0) {
    gpu.clear(out);
    return out;
  }
  const partials = gpu.empty([count], 'f32', 'grad.normSq.partials');
  // Six tensors per dispatch (the storage-buffer limit leaves room for six and the partials).
  const live = grads.map((g, i) => ({ g, groups: groups[i] })).filter((e) => e.groups > 0);
  let offset = 0;
  for (let first = 0; first < live.length; first += SUMSQ_TENSORS_PER_DISPATCH) {
    const chunk = live.slice(first, first + SUMSQ_TENSORS_PER_DISPATCH);
    const p = params();
    for (let i = 0; i < SUMSQ_TENSORS_PER_DISPATCH; i++) {
      const e = chunk[i];
      p.u32(e ? e.g.size : 0).u32(e ? offset : 0).u32(e ? e.groups : 0).u32(0);
      if (e) offset += e.groups;
    }
    p.f32(options.scale ?? 1).u32(0).u32(0).u32(0);
    const inputs = Array.from({ length: SUMSQ_TENSORS_PER_DISPATCH }, (_, i) => (chunk[i] ?? chunk[0]).g);
    gpu.dispatch({
      pipeline: gpu.kernel(source, 'sumsq_partials_multi', { WG: gpu.reductionWidth(Math.max(...chunk.map((e) => e.g.size))) }),
      params: p.build(),
      buffers: [...inputs, partials],
      workgroups: [Math.max(...chunk.map((e) => e.groups)), chunk.length],
    });
  }
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'sumsq_finish', { WG }),
    params: params().u32(count).build(),
    buffers: [partials, out],
    workgroups: [1],
  });
  partials.destroy(); // reusable only after this submit (see BufferPool)
  return out;
}

/** (1) factor min(1, maxNorm / (sqrt(normSquared) + 1e-6)) from a (1) squared norm. */
export function clipFactor(gpu: Gpu, normSquared: Tensor, maxNorm: number, out?: Tensor): Tensor {
  const op = 'clipFactor';
  assertShape(op, 'normSquared', normSquared, [1]);
  if (!(maxNorm > 0)) throw new ShapeError(op, `maxNorm must be > 0, got ${maxNorm}.`);
  const factor = out ?? gpu.empty([1], 'f32', 'grad.clipFactor');
  assertShape(op, 'out', factor, [1]);
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'clip_factor', { WG }),
    params: params().f32(maxNorm).build(),
    buffers: [normSquared, factor],
    workgroups: [1],
  });
  return factor;
}

// ---- CPU references (f64) ----------------------------------------------------------------------

export interface AdamWState {
  param: Float64Array;
  m: Float64Array; // exp_avg
  v: Float64Array; // exp_avg_sq
}

/**
 * One step of torch.optim.AdamW (single-tensor path, amsgrad off), line by line, in f64;
 * the gradient is multiplied by gradScale·clip first. Returns new arrays.
 */
export function adamwStepCpu(state: { param: ArrayLike<number>; m: ArrayLike<number>; v: ArrayLike<number> }, grad: ArrayLike<number>, options: Omit<AdamWOptions, 'clip'> & { clip?: number }): AdamWState {
  const { clip = 1, ...rest } = options;
  const o = resolve(rest);
  const param = Float64Array.from(state.param);
  const m = Float64Array.from(state.m);
  const v = Float64Array.from(state.v);
  const bias1 = 1 - o.beta1 ** o.step;
  const bias2 = 1 - o.beta2 ** o.step;
  const stepSize = o.lr / bias1;
  const bias2Sqrt = Math.sqrt(bias2);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * o.gradScale * clip;
    param[i] *= 1 - o.lr * o.weightDecay; // param.mul_(1 - lr * weight_decay)
    m[i] += (1 - o.beta1) * (g - m[i]); // exp_avg.lerp_(grad, 1 - beta1)
    v[i] = v[i] * o.beta2 + (1 - o.beta2) * g * g; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const denom = Math.sqrt(v[i]) / bias2Sqrt + o.eps; // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    param[i] -= (stepSize * m[i]) / denom; // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
  return { param, m, v };
}

/** Σ (scale·g)² over all tensors. */
export function gradNormSquaredCpu(grads: readonly ArrayLike<number>[], scale = 1): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += (g[i] * scale) ** 2;
  return s;
}

/** torch.nn.utils.clip_grad_norm_'s factor: min(1, maxNorm / (‖g‖ + 1e-6)). */
export function clipFactorCpu(normSquared: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (Math.sqrt(normSquared) + 1e-6));
}
