// A linear layer of the decoder with its optional LoRA branch, forward and backward.
//   y = x·Wᵀ + b + s·(drop(x)·Aᵀ)·Bᵀ = [x | s·u]·[W | B]ᵀ + b, u = drop(x)·Aᵀ (one product)
// Shapes: x is (N,in), W is (out,in), b is (out), A is (R,in), B is (out,R), y is (N,out).
// Backward (dy is (N,out)):
//   dx  = dy·W + drop⁻¹(s·(dy·B)·A)
//   dW += dyᵀ·x, db += Σ dy            (full fine-tuning)
//   dB += s·dyᵀ·u, u = drop(x)·Aᵀ      (LoRA)
//   dA += (s·dy·B)ᵀ·drop(x)
// Dropout draws its keep mask once, in the forward, and keeps it as bits (N·in/8 bytes); the
// matmuls apply it where they read x (u, dA) or write dx (drop⁻¹), so drop(x) is never stored.
// The adapter's dx part is a second pair in the base product dy·W (one pass over dx): an
// organism LoRA step runs 25 fewer dispatches, its matmuls 235, 205 → 165, 136 ms of GPU time in
// two alternations of the profile (Node/SwiftShader).

import type { Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { dropoutDrawMask } from '../ops/dropout';
import { ShapeError } from '../ops/guards';
import { linearBackward, linearForward } from '../ops/linear';
import { matmul } from '../ops/matmul';
import type { LoraPair } from './lora';

export interface LoraBranch {
  pair: LoraPair;
  scale: number; // alpha / r
  dropout: number; // p; 0 = none
  seed: number; // dropout seed of this step
  offset: number; // dropout counter offset unique to this layer and target
  rows?: Tensor | null; // (N) u32: the row of each input row in the layout its mask is drawn for (ModelInputs.dropoutRows)
}

export interface LinearGrads {
  dW?: Tensor; // (out,in), accumulated
  db?: Tensor; // (out), accumulated
  dA?: Tensor; // (R,in), accumulated
  dB?: Tensor; // (out,R), accumulated
}

export interface LinearSaved {
  u: Tensor | null; // (N,R) drop(x)·Aᵀ, kept for dB
  mask?: Tensor | null; // u32 (⌈N·in/32⌉) dropout keep bits: the backward re-applies them, drawing nothing
}

/** Free what a forward kept (idempotent). */
export function releaseLinearSaved(saved: LinearSaved): void {
  saved.u?.destroy();
  saved.mask?.destroy();
  saved.u = null;
  saved.mask = null;
}

/** y (N,out). With `keep`, returns what the backward needs; otherwise frees it. */
export function linearLoraForward(gpu: Gpu, x: Tensor, w: Tensor, bias: Tensor | undefined, lora: LoraBranch | null, keep: boolean): { y: Tensor; saved: LinearSaved } {
  if (!lora) return { y: linearForward(gpu, x, w, bias), saved: { u: null } };
  const [outFeatures, inFeatures] = w.shape;
  if (x.shape[x.shape.length - 1] !== inFeatures) throw new ShapeError('linearLoraForward', `x must end in in=${inFeatures}: x${shapeString(x.shape)}, w${shapeString(w.shape)}.`);
  const rows = x.size / inFeatures;
  const x2 = x.view([rows, inFeatures]);
  const drawFor = lora.rows ? { ids: lora.rows, width: inFeatures } : undefined;
  const mask = lora.dropout > 0 ? dropoutDrawMask(gpu, x.size, lora.dropout, lora.seed, lora.offset, drawFor) : null;
  const u = matmul(gpu, x2, lora.pair.A, { transB: true, dropout: mask ? { mask, p: lora.dropout, on: 'a' } : undefined }); // (N,R)
  // y = [x | s·u]·[W | B]ᵀ + b: the up-projection rides along in the base product's K loop.
  const y = matmul(gpu, x2, w, { transB: true, bias, extra: { a: u, b: lora.pair.B, scale: lora.scale } }).view([...x.shape.slice(0, -1), outFeatures]);
  const saved: LinearSaved = { u, mask };
  if (keep) return { y, saved };
  releaseLinearSaved(saved);
  return { y, saved };
}

/**
 * Gradients of linearLoraForward. Returns dx (N,in), written — or added into `dxInto` when given
 * (several layers reading the same input, e.g. q, k, v); with `dxInto` = 'none' (nothing below
 * needs dx: the first layer of a LoRA step) only the adapter's gradients, and null. Frees `saved`.
 */
export function linearLoraBackward(
  gpu: Gpu,
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  lora: LoraBranch | null,
  saved: LinearSaved,
  grads: LinearGrads,
  dxInto?: Tensor | 'none',
): Tensor | null {
  if (dxInto === 'none' && (grads.dW || grads.db || !lora)) throw new Error('linearLoraBackward: dx can be skipped only for a frozen weight with an adapter.');
  const into = dxInto && dxInto !== 'none' ? { dx: dxInto, accumulateDx: true } : {};
  if (!lora) return linearBackward(gpu, x, w, dy, grads.dW, grads.db, into);
  const { A, B } = lora.pair;
  const mask = lora.dropout > 0 ? saved.mask : null;
  if (lora.dropout > 0 && !mask) throw new Error('linearLoraBackward: the forward did not keep its dropout mask.');
  const dyB = matmul(gpu, dy, B, { alpha: lora.scale }); // (N,R) = s·dy·B
  const dropout = mask ? { mask, p: lora.dropout } : undefined;
  // dx = dy·W + drop⁻¹(dyB·A): the adapter's part rides along in the base product, masked alone.
  const dx =
    dxInto === 'none'
      ? null
      : linearBackward(gpu, x, w, dy, grads.dW, grads.db, {
          ...into,
          dxExtra: { a: dyB, b: A, scale: 1 },
          dxExtraDropout: dropout,
        });
  if (grads.dB) {
    if (!saved.u) throw new Error('linearLoraBackward: the forward did not keep u = drop(x)·Aᵀ.');
    matmul(gpu, dy, saved.u, { transA: true, alpha: lora.scale, accumulate: true, out: grads.dB });
  }
  const x2 = x.view([dyB.shape[0], A.shape[1]]);
  if (grads.dA) matmul(gpu, dyB, x2, { transA: true, accumulate: true, out: grads.dA, dropout: dropout ? { ...dropout, on: 'b' } : undefined });
  dyB.destroy();
  releaseLinearSaved(saved);
  return dx;
}
