// Rotary position embeddings (RoPE), Hugging Face "rotate half" convention, as in transformers'
// LlamaRotaryEmbedding + apply_rotary_pos_emb:
//   out = x·cos + rotate_half(x)·sin,  rotate_half(x) = cat(−x2, x1),
//   cos/sin of angle = position · inv_freq[i], repeated for both halves of the head.
//
// Shapes: x is (B,T,nHeads,D) — equivalently rows of a projection output (B·T, nHeads·D);
// invFreq is (D/2) f32; positions is (B,T) u32.
//
// Positions are explicit per token (u32 (B,T)) so every layout is one code path:
//   plain batch:      positions[b,t] = t
//   left padding:     Hugging Face's cumsum(mask) − 1 (see ropePositionIds)
//   KV-cache decode:  one (B,1) buffer holding each row's next position; `offset` (a uniform
//                     added to every position) advances it by the step index, so the buffer is
//                     written once per generation rather than once per token.
// The angle is rounded to f32 exactly as Hugging Face's float32 product is, then reduced to
// [−π, π] in the shader before sin/cos (see rope.wgsl).

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertPositive, ShapeError } from './guards';
import source from '../../shaders/rope.wgsl?raw';

const WG = 256;

/** Hugging Face `rope_scaling` with rope_type "llama3" (Llama 3.1 / 3.2). */
export interface Llama3RopeScaling {
  ropeType: 'llama3';
  factor: number; // 8 (Llama 3.1), 32 (Llama 3.2)
  lowFreqFactor: number; // 1
  highFreqFactor: number; // 4
  originalMaxPositionEmbeddings: number; // 8192
}

export type RopeScaling = Llama3RopeScaling;

export interface RopeOptions {
  /** Added to every position (decode step index). Default 0. */
  offset?: number;
  /** Where to write; pass `x` itself to rotate in place. Default: a new tensor shaped like x. */
  out?: Tensor;
}

/**
 * inv_freq[i] = 1 / theta^(2i/D) for i < D/2, with Llama-3 frequency scaling when given
 * (transformers' _compute_llama3_parameters). Computed in f64, returned as f32.
 */
export function ropeInvFreq(headDim: number, theta: number, scaling?: RopeScaling): Float32Array {
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new ShapeError('ropeInvFreq', `head size D must be a positive even integer, got ${headDim}.`);
  }
  if (!(theta > 0)) throw new ShapeError('ropeInvFreq', `rope_theta must be positive, got ${theta}.`);
  const half = headDim / 2;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  if (scaling) applyLlama3Scaling(invFreq, scaling);
  return Float32Array.from(invFreq);
}

/**
 * Llama 3 keeps high frequencies (wavelength < original context / highFreqFactor), divides low
 * frequencies (wavelength > original context / lowFreqFactor) by `factor`, and blends linearly in
 * between, in 1/wavelength.
 */
function applyLlama3Scaling(invFreq: Float64Array, s: Llama3RopeScaling): void {
  if (s.ropeType !== 'llama3') throw new Error(`ropeInvFreq: unsupported rope_type "${s.ropeType as string}".`);
  if (!(s.factor > 0) || !(s.highFreqFactor > s.lowFreqFactor) || !(s.originalMaxPositionEmbeddings > 0)) {
    throw new Error(`ropeInvFreq: invalid llama3 rope_scaling ${JSON.stringify(s)} (need factor > 0, high_freq_factor > low_freq_factor).`);
  }
  const oldContext = s.originalMaxPositionEmbeddings;
  const lowFreqWavelen = oldContext / s.lowFreqFactor;
  const highFreqWavelen = oldContext / s.highFreqFactor;
  for (let i = 0; i < invFreq.length; i++) {
    const wavelen = (2 * Math.PI) / invFreq[i];
    if (wavelen > lowFreqWavelen) {
      invFreq[i] /= s.factor;
    } else if (!(wavelen < highFreqWavelen)) {
      const smooth = (oldContext / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      invFreq[i] = (1 - smooth) * (invFreq[i] / s.factor) + smooth * invFreq[i];
    }
  }
}

/**
 * Position ids as Hugging Face builds them from an attention mask: within each row the valid
 * tokens are numbered offset[b], offset[b]+1, …; padding tokens get 0 (they are masked anyway).
 * mask is (B,T) (nonzero = real token) or omitted (all real); offsets is (B) or omitted (zeros).
 */
export function ropePositionIds(batch: number, time: number, mask?: ArrayLike<number>, offsets?: ArrayLike<number>): Uint32Array {
  if (mask && mask.length !== batch * time) throw new ShapeError('ropePositionIds', `mask has ${mask.length} values, expected B·T = ${batch}·${time}.`);
  if (offsets && offsets.length !== batch) throw new ShapeError('ropePositionIds', `offsets has ${offsets.length} values, expected B = ${batch}.`);
  const ids = new Uint32Array(batch * time);
  for (let b = 0; b < batch; b++) {
    let next = offsets ? offsets[b] : 0;
    for (let t = 0; t < time; t++) {
      const real = !mask || mask[b * time + t] !== 0;
      ids[b * time + t] = real ? next++ : 0;
    }
  }
  return ids;
}

function checkRope(op: string, x: Tensor, invFreq: Tensor, positions: Tensor, nHeads: number): { headDim: number } {
  assertDType(op, { x, invFreq }, 'f32');
  assertDType(op, { positions }, 'u32');
  assertPositive(op, { nHeads });
  const headDim = 2 * invFreq.size;
  const expected = positions.size * nHeads * headDim;
  if (x.size !== expected) {
    throw new ShapeError(
      op,
      `x${shapeString(x.shape)} must hold positions${shapeString(positions.shape)} tokens × nHeads ${nHeads} × D ${headDim} (from invFreq${shapeString(invFreq.shape)}) = ${expected} values, got ${x.size}.`,
    );
  }
  return { headDim };
}

function launch(op: string, gpu: Gpu, x: Tensor, invFreq: Tensor, positions: Tensor, nHeads: number, direction: 1 | -1, options: RopeOptions): Tensor {
  const { headDim } = checkRope(op, x, invFreq, positions, nHeads);
  const offset = options.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new ShapeError(op, `offset must be a non-negative integer, got ${offset}.`);
  const y = options.out ?? gpu.empty(x.shape, 'f32', `${op}.y`);
  if (y.size !== x.size || y.dtype !== 'f32') throw new ShapeError(op, `out${shapeString(y.shape)}:${y.dtype} must be f32 with the size of x${shapeString(x.shape)}.`);
  const sites = positions.size * (headDim / 2); // a thread per (token, pair), over the token's heads
  const workgroups = grid(ceilDiv(sites, WG));
  const uniforms = params()
    .u32(sites)
    .u32(headDim / 2)
    .u32(nHeads)
    .u32(workgroups[0] * WG)
    .u32(offset)
    .f32(direction)
    .build();
  const inPlace = y.buffer === x.buffer;
  gpu.dispatch({
    pipeline: gpu.kernel(source, inPlace ? 'rope_in_place' : 'rope_forward', { WG }),
    params: uniforms,
    buffers: inPlace ? [x, invFreq, positions] : [x, invFreq, positions, y],
    workgroups,
  });
  return y;
}

/** y = rope(x). x, y are (B,T,nHeads,D), invFreq (D/2) f32, positions (B,T) u32. */
export function ropeForward(gpu: Gpu, x: Tensor, invFreq: Tensor, positions: Tensor, nHeads: number, options: RopeOptions = {}): Tensor {
  return launch('ropeForward', gpu, x, invFreq, positions, nHeads, 1, options);
}

/** dx = rope⁻¹(dy) = rope(dy) with −angle (the rotation's transpose). Shapes as ropeForward. */
export function ropeBackward(gpu: Gpu, dy: Tensor, invFreq: Tensor, positions: Tensor, nHeads: number, options: RopeOptions = {}): Tensor {
  return launch('ropeBackward', gpu, dy, invFreq, positions, nHeads, -1, options);
}

/**
 * CPU reference. x is (B·T, nHeads, D) flat, positions (B·T); the angle is rounded to f32 as
 * Hugging Face's float32 product is, cos/sin in f64. direction −1 gives the backward.
 */
export function ropeCpu(x: ArrayLike<number>, invFreq: ArrayLike<number>, positions: ArrayLike<number>, nHeads: number, offset = 0, direction: 1 | -1 = 1): Float64Array {
  const half = invFreq.length;
  const headDim = 2 * half;
  const y = new Float64Array(x.length);
  for (let token = 0; token < positions.length; token++) {
    const position = Math.fround(positions[token] + offset);
    for (let h = 0; h < nHeads; h++) {
      const base = (token * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const angle = direction * Math.fround(position * Math.fround(invFreq[i]));
        const c = Math.cos(angle);
        const s = Math.sin(angle);
        const x1 = x[base + i];
        const x2 = x[base + half + i];
        y[base + i] = x1 * c - x2 * s;
        y[base + half + i] = x2 * c + x1 * s;
      }
    }
  }
  return y;
}

export function ropeForwardCpu(x: ArrayLike<number>, invFreq: ArrayLike<number>, positions: ArrayLike<number>, nHeads: number, offset = 0): Float64Array {
  return ropeCpu(x, invFreq, positions, nHeads, offset, 1);
}

/** Backward: dx = Rᵀ dy, the rotation by −angle. */
export function ropeBackwardCpu(dy: ArrayLike<number>, invFreq: ArrayLike<number>, positions: ArrayLike<number>, nHeads: number, offset = 0): Float64Array {
  return ropeCpu(dy, invFreq, positions, nHeads, offset, -1);
}
