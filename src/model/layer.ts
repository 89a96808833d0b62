// One Llama-family decoder layer, forward (keeping what backward needs) and backward. Training,
// scoring and generation all run this forward; generation passes a KV cache, so the new tokens'
// keys and values are appended to it and attention reads the whole cache.
//   n1 = rmsnorm(x0)·w_in;  q,k,v = linear(n1);  q,k = rope(q,k)
//   x1 = x0 + o(attention(q,k,v))
//   n2 = rmsnorm(x1)·w_post;  x2 = x1 + down(silu(gate(n2))·up(n2))
// When only some rows' outputs are read (StepContext.outputRows: the last layer of a training step,
// whose loss reads the learned positions alone, or of a prompt, whose last token alone is read),
// q, k, v and attention run on every row, since every key is attended, and from attention's output
// on only the P rows read: o, the residuals and the MLP. Training's other rows would get a zero
// gradient, so this is exact, not an estimate.
// Shapes: B batch, T time, N = B·T rows, C hidden, H/KV heads, D head size, F intermediate.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { embeddingBackward, embeddingForward } from '../ops/embedding';
import { attentionBackward, attentionDecode, attentionForward, kvCacheAppend } from '../ops/attention';
import { addForward } from '../ops/residual';
import { rmsnormBackward, rmsnormForward } from '../ops/rmsnorm';
import { ropeBackward, ropeForward } from '../ops/rope';
import { swigluBackward, swigluForward } from '../ops/swiglu';
import type { ModelConfig } from './config';
import { linearLoraBackward, linearLoraForward, releaseLinearSaved, type LinearGrads, type LinearSaved, type LoraBranch } from './linear';
import type { LayerWeights, LinearName } from './weights';

/** This layer's slice of a KV cache: rows [0, past) hold earlier tokens; S is the capacity. */
export interface LayerCache {
  k: Tensor; // (B,S,KV,D)
  v: Tensor; // (B,S,KV,D)
  past: number; // cache rows already filled; the T new tokens go to [past, past + T)
}

/** The rows of a layer's output that are read, and where their LoRA dropout masks are drawn. */
export interface OutputRows {
  rows: Tensor; // (P) u32 flat positions b·T + t, distinct
  dropoutRows: Tensor; // (P) u32 the row of the drawn layout each one's masks come from (ModelInputs.dropoutRows of those positions)
}

/** Per-step inputs shared by all layers. */
export interface StepContext {
  B: number;
  T: number;
  positions: Tensor; // (B,T) u32 rotary positions
  ropeOffset: number; // added to every position (generation reuses one positions tensor per step)
  keyRange: Tensor | null; // (B,2) u32 valid keys [first, end) per row (cache rows with a cache); null = all valid
  invFreq: Tensor; // (D/2) f32
  lora: (name: LinearName, dropoutRows?: Tensor) => LoraBranch | null; // this layer's adapter branch per target (dropout masks drawn for the rows given, else the batch's)
  keep: boolean; // keep activations for backward (never with a cache)
  cache: LayerCache | null;
  outputRows?: OutputRows | null; // only these rows of x2 are read: x2 is (P,C)
}

export interface LayerGrads {
  inputNorm?: Tensor; // (C)
  postNorm?: Tensor; // (C)
  linear: Partial<Record<LinearName, LinearGrads>>;
}

/** Activations the backward needs; all (N,·) unless noted. */
export interface LayerSaved {
  x0: Tensor; // (N,C) layer input (owned by the caller)
  n1: Tensor; // (N,C)
  rstd1: Tensor; // (N)
  q: Tensor; // (B,T,H,D) after rope
  k: Tensor; // (B,T,KV,D) after rope
  v: Tensor; // (B,T,KV,D)
  att: Tensor; // (B,T,H,D) attention output
  lse: Tensor; // (B,H,T)
  attRows: Tensor | null; // (P,H·D) the rows of att read with outputRows, else null
  // With outputRows, from here on (P,·) instead of (N,·):
  x1: Tensor; // (N,C)
  n2: Tensor; // (N,C)
  rstd2: Tensor; // (N)
  gate: Tensor; // (N,F)
  up: Tensor; // (N,F)
  h: Tensor; // (N,F) silu(gate)·up
  linear: Record<LinearName, LinearSaved>;
}

/** Forward through one layer. Returns x2 (N,C), or (P,C) with ctx.outputRows, and when ctx.keep the saved activations. */
export function layerForward(gpu: Gpu, cfg: ModelConfig, w: LayerWeights, x0: Tensor, ctx: StepContext): { x2: Tensor; saved: LayerSaved | null } {
  const { B, T } = ctx;
  const { nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  const only = ctx.outputRows ?? null;
  const lin = {} as Record<LinearName, LinearSaved>;
  const run = (name: LinearName, x: Tensor, dropoutRows?: Tensor) => {
    const { y, saved } = linearLoraForward(gpu, x, w.linear[name], w.bias[name], ctx.lora(name, dropoutRows), ctx.keep);
    lin[name] = saved;
    return y;
  };

  const { y: n1, rstd: rstd1 } = rmsnormForward(gpu, x0, w.inputNorm, cfg.rmsNormEps);
  const qLin = run('q', n1);
  const kLin = run('k', n1);
  const v = run('v', n1).view([B, T, KV, D]);
  const rope = { offset: ctx.ropeOffset };
  const q = ropeForward(gpu, qLin, ctx.invFreq, ctx.positions, H, { out: qLin, ...rope }).view([B, T, H, D]);
  const k = ropeForward(gpu, kLin, ctx.invFreq, ctx.positions, KV, { out: kLin, ...rope }).view([B, T, KV, D]);
  let att: Tensor;
  let lse: Tensor | null = null;
  if (ctx.cache) {
    if (ctx.keep) throw new Error('layerForward: a KV-cache forward cannot keep activations for backward.');
    kvCacheAppend(gpu, ctx.cache.k, ctx.cache.v, k, v, ctx.cache.past);
    att = attentionDecode(gpu, q, ctx.cache.k, ctx.cache.v, ctx.cache.past + T, ctx.keyRange);
  } else {
    ({ out: att, lse } = attentionForward(gpu, q, k, v, { keyRange: ctx.keyRange }));
  }
  // From here on, the rows read: all N, or the P of outputRows (gathered, their masks drawn for them).
  const attRows = only ? embeddingForward(gpu, only.rows, att.view([B * T, H * D])) : null;
  const x0Rows = only ? embeddingForward(gpu, only.rows, x0) : x0;
  const tail = only?.dropoutRows;
  const o = run('o', attRows ?? att.view([B * T, H * D]), tail);
  const x1 = addForward(gpu, x0Rows, o);
  o.destroy();
  if (only) x0Rows.destroy();

  const { y: n2, rstd: rstd2 } = rmsnormForward(gpu, x1, w.postNorm, cfg.rmsNormEps);
  const gate = run('gate', n2, tail);
  const up = run('up', n2, tail);
  const h = swigluForward(gpu, gate, up);
  const down = run('down', h, tail);
  const x2 = addForward(gpu, x1, down);
  down.destroy();

  if (ctx.keep) {
    return { x2, saved: { x0, n1, rstd1, q, k, v, att, lse: lse!, attRows, x1, n2, rstd2, gate, up, h, linear: lin } };
  }
  for (const t of [n1, rstd1, q, k, v, att, x1, n2, rstd2, gate, up, h]) t.destroy();
  lse?.destroy();
  attRows?.destroy();
  return { x2, saved: null };
}

/**
 * Backward through one layer: takes dx2 (N,C), or (P,C) with ctx.outputRows, returns dx0 (N,C). Accumulates weight and
 * adapter gradients into `grads`; frees the saved activations (not x0, which the caller owns).
 * With `needDx0` false (nothing below reads dx0: the first layer when the embeddings are frozen)
 * and the input norm and q/k/v weights frozen under adapters, dx0 is not computed and null returned.
 */
export function layerBackward(gpu: Gpu, cfg: ModelConfig, w: LayerWeights, s: LayerSaved, dx2: Tensor, ctx: StepContext, grads: LayerGrads, needDx0 = true): Tensor | null {
  const { B, T } = ctx;
  const N = B * T;
  const { nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  const only = ctx.outputRows ?? null;
  const tail = only?.dropoutRows;
  const back = (name: LinearName, x: Tensor, dy: Tensor, dxInto?: Tensor | 'none', dropoutRows?: Tensor) =>
    linearLoraBackward(gpu, x, w.linear[name], dy, ctx.lora(name, dropoutRows), s.linear[name], grads.linear[name] ?? {}, dxInto);
  const adapterOnly = (name: LinearName) => !!ctx.lora(name) && !grads.linear[name]?.dW && !grads.linear[name]?.db;
  const skipDx0 = !needDx0 && !grads.inputNorm && (['q', 'k', 'v'] as const).every(adapterOnly);

  // MLP: x2 = x1 + down(h); dx1 starts as dx2 and gains the normalised branch.
  const dh = back('down', s.h, dx2, undefined, tail)!;
  const { dGate, dUp } = swigluBackward(gpu, s.gate, s.up, dh);
  dh.destroy();
  const dn2 = back('gate', s.n2, dGate, undefined, tail)!;
  back('up', s.n2, dUp, dn2, tail);
  dGate.destroy();
  dUp.destroy();
  let dx1 = rmsnormBackward(gpu, s.x1, w.postNorm, s.rstd2, dn2, grads.postNorm, { residual: dx2 });
  dn2.destroy();

  // Attention: x1 = x0 + o(att). With outputRows, the read rows' gradients are scattered back to
  // all N rows (the others' are zero).
  let dAtt = back('o', s.attRows ?? s.att.view([N, H * D]), dx1, undefined, tail)!;
  if (only) {
    dAtt = scatterRows(gpu, only.rows, dAtt, N);
    dx1 = scatterRows(gpu, only.rows, dx1, N);
  }
  const { dq, dk, dv } = attentionBackward(gpu, s.q, s.k, s.v, s.att, s.lse, dAtt.view([B, T, H, D]), { keyRange: ctx.keyRange });
  dAtt.destroy();
  ropeBackward(gpu, dq, ctx.invFreq, ctx.positions, H, { out: dq });
  ropeBackward(gpu, dk, ctx.invFreq, ctx.positions, KV, { out: dk });
  const dn1 = back('q', s.n1, dq.view([N, H * D]), skipDx0 ? 'none' : undefined);
  back('k', s.n1, dk.view([N, KV * D]), dn1 ?? 'none');
  back('v', s.n1, dv.view([N, KV * D]), dn1 ?? 'none');
  dq.destroy();
  dk.destroy();
  dv.destroy();
  const dx0 = dn1 ? rmsnormBackward(gpu, s.x0, w.inputNorm, s.rstd1, dn1, grads.inputNorm, { residual: dx1 }) : null;
  dn1?.destroy();
  dx1.destroy();

  releaseSaved(s);
  return dx0;
}

/** (N,W) zeros with the P rows of y (P,W) at `rows`; consumes y. */
function scatterRows(gpu: Gpu, rows: Tensor, y: Tensor, N: number): Tensor {
  const out = gpu.zeros([N, y.shape[1]], 'f32', 'layer.scattered');
  embeddingBackward(gpu, rows, y, out);
  y.destroy();
  return out;
}

/** Free saved activations (idempotent; x0 belongs to the caller). */
export function releaseSaved(s: LayerSaved): void {
  for (const t of [s.n1, s.rstd1, s.q, s.k, s.v, s.att, s.lse, s.attRows, s.x1, s.n2, s.rstd2, s.gate, s.up, s.h]) t?.destroy();
  for (const l of Object.values(s.linear)) releaseLinearSaved(l);
}
