// Softmax cross-entropy over the vocabulary: per-row loss and log p(target), the fused backward
// (dlogits = (softmax - onehot) / normaliser), and a reduction of the per-row losses to one scalar.
// Shapes: logits is (N,V) (or (B,T,V), read as N = B·T rows), targets is (N) u32 or i32.
//
// Ignored targets: any value with the top bit set, i.e. IGNORE_TARGET (0xFFFFFFFF) in a u32
// tensor or Hugging Face's -100 in an i32 tensor. They get loss 0 and a zero gradient row and are
// not counted. A target ≥ V that is not ignored gives a NaN loss (a caller bug made visible).
//
// The normaliser (tokens counted for the mean) is supplied by the host: batches and their
// completion-only masks are built on the host, so the count is free there, and gradient
// accumulation needs the count of the whole accumulated batch, which one micro-batch's kernel
// cannot see. Pass the same normaliser to every micro-batch and the summed gradients (and summed
// losses) equal those of one big batch. `reduceLoss` also counts the rows on the GPU (for logs,
// or as the normaliser of a single batch).

import { grid, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, ShapeError } from './guards';
import source from '../../shaders/cross_entropy.wgsl?raw';


/** Target value of a token that is not scored (u32). Any value with the top bit set is ignored. */
export const IGNORE_TARGET = 0xffffffff;

export function isIgnoredTarget(t: number): boolean {
  return t >>> 0 >= 0x80000000;
}

export interface CrossEntropyOutputs {
  losses: Tensor; // (N) -log p(target); 0 for ignored rows
  logprobs: Tensor; // (N) log p(target); 0 for ignored rows
}

export interface CrossEntropyFusedOptions {
  /** Divide the gradient by this: the counted tokens of the whole (accumulated) batch. */
  normaliser: number;
  /** Write dlogits over logits (saves an (N,V) buffer); logits are destroyed. */
  inPlace?: boolean;
  /** Destination for dlogits (N,V) when not in place; a new tensor otherwise. */
  dlogits?: Tensor;
  losses?: Tensor; // (N)
  logprobs?: Tensor; // (N)
}

interface RowShape {
  rows: number; // N
  vocab: number; // V
}

function checkInputs(op: string, gpu: Gpu, logits: Tensor, targets: Tensor): RowShape {
  assertDType(op, { logits }, 'f32');
  if (targets.dtype === 'f32') throw new ShapeError(op, `targets must be u32 or i32, got f32.`);
  if (logits.shape.length < 2) throw new ShapeError(op, `logits must be (N,V) or (B,T,V), got [${logits.shape.join(', ')}].`);
  const vocab = logits.shape[logits.shape.length - 1];
  const rows = vocab === 0 ? 0 : logits.size / vocab;
  if (vocab < 1) throw new ShapeError(op, `vocabulary size must be ≥ 1, got logits[${logits.shape.join(', ')}].`);
  if (targets.size !== rows) {
    throw new ShapeError(op, `targets[${targets.shape.join(', ')}] must hold one target per logits row (${rows} rows of logits[${logits.shape.join(', ')}]).`);
  }
  const limit = gpu.info.limits.maxStorageBufferBindingSize;
  if (logits.byteLength > limit) {
    throw new ShapeError(op, `logits[${logits.shape.join(', ')}] is ${logits.byteLength} bytes, above this GPU's binding limit of ${limit}; run the rows in chunks.`);
  }
  return { rows, vocab };
}

function outputs(gpu: Gpu, rows: number, given: Partial<CrossEntropyOutputs>): CrossEntropyOutputs {
  const losses = given.losses ?? gpu.empty([rows], 'f32', 'ce.losses');
  const logprobs = given.logprobs ?? gpu.empty([rows], 'f32', 'ce.logprobs');
  assertShape('crossEntropy', 'losses', losses, [rows]);
  assertShape('crossEntropy', 'logprobs', logprobs, [rows]);
  return { losses, logprobs };
}

function rowParams(shape: RowShape, gradScale: number, gridX: number): ArrayBuffer {
  return params().u32(shape.rows).u32(shape.vocab).f32(gradScale).u32(gridX).build();
}

/** Per-row loss and log p(target), no gradient (scoring, evaluation). */
export function crossEntropyForward(gpu: Gpu, logits: Tensor, targets: Tensor, out: Partial<CrossEntropyOutputs> = {}): CrossEntropyOutputs {
  const shape = checkInputs('crossEntropyForward', gpu, logits, targets);
  const result = outputs(gpu, shape.rows, out);
  if (shape.rows === 0) return result;
  const workgroups = grid(shape.rows);
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'ce_forward', { WG: gpu.reductionWidth(shape.vocab) }),
    params: rowParams(shape, 0, workgroups[0]),
    buffers: [logits, targets, result.losses, result.logprobs],
    workgroups,
  });
  return result;
}

/**
 * Forward and backward in one pass: per-row losses, log p(target), and
 * dlogits (N,V) = (softmax(logits) - onehot(target)) / normaliser, zero for ignored rows.
 * dlogits is written (not accumulated).
 */
export function crossEntropyFused(gpu: Gpu, logits: Tensor, targets: Tensor, options: CrossEntropyFusedOptions): CrossEntropyOutputs & { dlogits: Tensor } {
  const op = 'crossEntropyFused';
  const shape = checkInputs(op, gpu, logits, targets);
  if (!(options.normaliser > 0) || !Number.isFinite(options.normaliser)) {
    throw new ShapeError(op, `normaliser must be a positive number (counted tokens of the whole batch), got ${options.normaliser}.`);
  }
  if (options.inPlace && options.dlogits && options.dlogits.buffer !== logits.buffer) {
    throw new ShapeError(op, `inPlace writes dlogits over logits; do not pass another dlogits tensor.`);
  }
  const result = outputs(gpu, shape.rows, options);
  const inPlace = options.inPlace ?? false;
  const dlogits = inPlace ? logits : (options.dlogits ?? gpu.empty(logits.shape, 'f32', 'ce.dlogits'));
  if (!inPlace) {
    assertDType(op, { dlogits }, 'f32');
    if (dlogits.size !== logits.size) throw new ShapeError(op, `dlogits[${dlogits.shape.join(', ')}] must match logits[${logits.shape.join(', ')}].`);
    if (dlogits.buffer === logits.buffer) throw new ShapeError(op, `dlogits aliases logits; use inPlace: true.`);
  }
  if (shape.rows === 0) return { ...result, dlogits };
  const workgroups = grid(shape.rows);
  const buffers = [logits, targets, result.losses, result.logprobs];
  gpu.dispatch({
    pipeline: gpu.kernel(source, inPlace ? 'ce_fused_inplace' : 'ce_fused', { WG: gpu.reductionWidth(shape.vocab) }),
    params: rowParams(shape, 1 / options.normaliser, workgroups[0]),
    buffers: inPlace ? buffers : [...buffers, dlogits],
    workgroups,
  });
  return { ...result, dlogits };
}

export interface ReduceLossOptions {
  /** Divide the summed losses by this; default: the rows counted by this call (on the GPU). */
  normaliser?: number;
  /** Write into this (2) tensor instead of a new one. */
  into?: Tensor;
  /** Add to `into` instead of overwriting it (micro-batches of one accumulated step). */
  accumulate?: boolean;
}

/**
 * Σ losses / normaliser over the counted rows, on the GPU, deterministic (one workgroup).
 * Returns a (2) tensor [loss, counted rows]; training reads back only this.
 * losses is (N), targets is (N) (the same targets the losses came from).
 */
export function reduceLoss(gpu: Gpu, losses: Tensor, targets: Tensor, options: ReduceLossOptions = {}): Tensor {
  const op = 'reduceLoss';
  assertDType(op, { losses }, 'f32');
  if (targets.dtype === 'f32') throw new ShapeError(op, `targets must be u32 or i32, got f32.`);
  if (targets.size !== losses.size) throw new ShapeError(op, `losses[${losses.shape.join(', ')}] and targets[${targets.shape.join(', ')}] differ in length.`);
  const normaliser = options.normaliser ?? 0;
  if (options.normaliser !== undefined && !(normaliser > 0)) throw new ShapeError(op, `normaliser must be positive, got ${normaliser}.`);
  if (options.accumulate && !options.into) throw new ShapeError(op, `accumulate needs an 'into' tensor to add to.`);
  const total = options.into ?? gpu.empty([2], 'f32', 'ce.total');
  assertShape(op, 'into', total, [2]);
  if (losses.size === 0) {
    if (!options.accumulate) gpu.clear(total);
    return total;
  }
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'ce_reduce', { WG: gpu.reductionWidth(losses.size) }),
    params: params().u32(losses.size).f32(normaliser).u32(options.accumulate ? 1 : 0).u32(0).build(),
    buffers: [losses, targets, total],
    workgroups: [1],
  });
  return total;
}

// ---- CPU references (f64) ----------------------------------------------------------------------

function logSumExp(logits: ArrayLike<number>, base: number, vocab: number): number {
  let m = -Infinity;
  for (let i = 0; i < vocab; i++) m = Math.max(m, logits[base + i]);
  let s = 0;
  for (let i = 0; i < vocab; i++) s += Math.exp(logits[base + i] - m);
  return m + Math.log(s);
}

/** losses[n] = -log softmax(logits[n])[targets[n]]; logprobs = -losses; ignored → 0, invalid → NaN. */
export function crossEntropyForwardCpu(logits: ArrayLike<number>, targets: ArrayLike<number>, vocab: number): { losses: Float64Array; logprobs: Float64Array } {
  const rows = targets.length;
  const losses = new Float64Array(rows);
  const logprobs = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (isIgnoredTarget(t)) continue;
    const loss = t >= vocab ? NaN : logSumExp(logits, n * vocab, vocab) - logits[n * vocab + t];
    losses[n] = loss;
    logprobs[n] = -loss;
  }
  return { losses, logprobs };
}

/** dlogits (N,V) = (softmax - onehot) / normaliser, the gradient of Σ losses / normaliser. */
export function crossEntropyBackwardCpu(logits: ArrayLike<number>, targets: ArrayLike<number>, vocab: number, normaliser: number): Float64Array {
  const rows = targets.length;
  const dlogits = new Float64Array(rows * vocab);
  for (let n = 0; n < rows; n++) {
    const t = targets[n];
    if (isIgnoredTarget(t) || t >= vocab) continue;
    const base = n * vocab;
    const lse = logSumExp(logits, base, vocab);
    for (let i = 0; i < vocab; i++) dlogits[base + i] = (Math.exp(logits[base + i] - lse) - (i === t ? 1 : 0)) / normaliser;
  }
  return dlogits;
}

/** [Σ counted losses / (normaliser ?? counted), counted], as reduceLoss computes it. */
export function reduceLossCpu(losses: ArrayLike<number>, targets: ArrayLike<number>, normaliser?: number): Float64Array {
  let sum = 0;
  let counted = 0;
  for (let n = 0; n < losses.length; n++) {
    if (isIgnoredTarget(targets[n])) continue;
    sum += losses[n];
    counted++;
  }
  return Float64Array.of(sum / (normaliser ?? Math.max(counted, 1)), counted);
}
