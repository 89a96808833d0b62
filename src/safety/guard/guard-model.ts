// The embedded guard: a tiny text classifier of (request, response) pairs, defined here, trained on
// the CPU (guard-train.ts) and shipped as a standard ONNX text-classification model (guard-onnx.ts).
// This file is its plain TypeScript forward and backward, the reference the ONNX export is tested
// against and the trainer's model.
//
// Shapes: T tokens of one pair, V vocabulary, C embedding width, H hidden width, L labels (2).
// A pair is rendered with a pair template (pair-encoding.ts) in which one separator token (e.g.
// <|im_end|>) closes the request; every token from the first separator on is the response part,
// a split the ONNX graph computes from input_ids alone (CumSum of a separator indicator).
//   E      = embedding[ids]                     (T,C)
//   req    = mean of E over request tokens      (C)   (mean over no token = 0)
//   resp   = mean of E over response tokens     (C)
//   head   = mean of E over the first K response tokens (C): how the answer starts matters most
//   x      = [req, resp, head]                   (3C)
//   h      = tanh(W1 x + b1)                     (H)    W1 is (H,3C)
//   logits = W2 h + b2                           (L)    W2 is (L,H)

import { Rng } from '../../util/rng';

export interface GuardConfig {
  vocabSize: number; // V: the tokenizer's vocabulary, added tokens included
  embedDim: number; // C: 32
  hiddenDim: number; // H: 64
  headTokens: number; // K: response tokens (separator included) pooled again as the answer's start, 16
  separatorId: number; // token id that ends the request part, e.g. the id of <|im_end|>
  labels: string[]; // L label names in logit order: ['safe', 'harmful']
}

/** Parameters in f64 for training and gradient checks; exported to ONNX as f32. */
export interface GuardWeights {
  embedding: Float64Array; // (V,C)
  w1: Float64Array; // (H,3C)
  b1: Float64Array; // (H)
  w2: Float64Array; // (L,H)
  b2: Float64Array; // (L)
}

export const GUARD_PARAMETER_NAMES = ['embedding', 'w1', 'b1', 'w2', 'b2'] as const;
export type GuardParameterName = (typeof GUARD_PARAMETER_NAMES)[number];

export function guardParameterShapes(cfg: GuardConfig): Record<GuardParameterName, number[]> {
  const { vocabSize: V, embedDim: C, hiddenDim: H } = cfg;
  const L = cfg.labels.length;
  return { embedding: [V, C], w1: [H, 3 * C], b1: [H], w2: [L, H], b2: [L] };
}

export function validateGuardConfig(cfg: GuardConfig): void {
  const positive = { vocabSize: cfg.vocabSize, embedDim: cfg.embedDim, hiddenDim: cfg.hiddenDim, headTokens: cfg.headTokens };
  for (const [key, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`guard config: ${key} must be a positive integer, got ${value}.`);
  }
  if (!Number.isInteger(cfg.separatorId) || cfg.separatorId < 0 || cfg.separatorId >= cfg.vocabSize) {
    throw new Error(`guard config: separatorId ${cfg.separatorId} is outside the vocabulary (0…${cfg.vocabSize - 1}).`);
  }
  if (cfg.labels.length < 2 || new Set(cfg.labels).size !== cfg.labels.length) throw new Error(`guard config: labels must be ≥ 2 distinct names, got ${JSON.stringify(cfg.labels)}.`);
}

/** Seeded initialisation: embeddings N(0, 0.3²), layers uniform ±1/√fan_in, biases 0. */
export function initGuardWeights(cfg: GuardConfig, seed: number): GuardWeights {
  validateGuardConfig(cfg);
  const rng = new Rng(seed);
  const shapes = guardParameterShapes(cfg);
  const size = (name: GuardParameterName) => shapes[name].reduce((a, b) => a * b, 1);
  const uniform = (name: GuardParameterName, fanIn: number) => Float64Array.from({ length: size(name) }, () => rng.uniform(-1, 1) / Math.sqrt(fanIn));
  return {
    embedding: Float64Array.from({ length: size('embedding') }, () => rng.normal(0, 0.3)),
    w1: uniform('w1', 3 * cfg.embedDim),
    b1: new Float64Array(size('b1')),
    w2: uniform('w2', cfg.hiddenDim),
    b2: new Float64Array(size('b2')),
  };
}

export function zeroGuardGradients(cfg: GuardConfig): GuardWeights {
  const shapes = guardParameterShapes(cfg);
  const zeros = (name: GuardParameterName) => new Float64Array(shapes[name].reduce((a, b) => a * b, 1));
  return { embedding: zeros('embedding'), w1: zeros('w1'), b1: zeros('b1'), w2: zeros('w2'), b2: zeros('b2') };
}

/** Per-token pooling weights of the three parts: 1/count for tokens in the part, else 0. */
export interface GuardPooling {
  request: Float64Array; // (T)
  response: Float64Array; // (T)
  head: Float64Array; // (T)
}

/** The segment split the ONNX graph computes: response = from the first separator on; head = its first K tokens. */
export function guardPooling(cfg: GuardConfig, ids: readonly number[]): GuardPooling {
  const T = ids.length;
  const request = new Float64Array(T);
  const response = new Float64Array(T);
  const head = new Float64Array(T);
  let seenSeparator = false;
  let responseIndex = 0;
  for (let t = 0; t < T; t++) {
    if (ids[t] === cfg.separatorId) seenSeparator = true;
    if (!seenSeparator) request[t] = 1;
    else {
      response[t] = 1;
      if (++responseIndex <= cfg.headTokens) head[t] = 1;
    }
  }
  for (const part of [request, response, head]) {
    const count = part.reduce((a, b) => a + b, 0);
    if (count > 0) for (let t = 0; t < T; t++) part[t] /= count;
  }
  return { request, response, head };
}

/** What backward needs from one forward. */
export interface GuardActivations {
  ids: readonly number[]; // (T)
  pooling: GuardPooling;
  x: Float64Array; // (3C)
  h: Float64Array; // (H), after tanh
  logits: Float64Array; // (L)
}

export function guardForward(cfg: GuardConfig, w: GuardWeights, ids: readonly number[]): GuardActivations {
  const C = cfg.embedDim;
  const H = cfg.hiddenDim;
  const L = cfg.labels.length;
  for (const id of ids) if (!Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) throw new Error(`guard forward: token id ${id} is outside the vocabulary (0…${cfg.vocabSize - 1}).`);
  const pooling = guardPooling(cfg, ids);
  const x = new Float64Array(3 * C);
  const parts = [pooling.request, pooling.response, pooling.head];
  ids.forEach((id, t) => {
    parts.forEach((part, p) => {
      const weight = part[t];
      if (weight === 0) return;
      for (let c = 0; c < C; c++) x[p * C + c] += weight * w.embedding[id * C + c];
    });
  });
  const h = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let s = w.b1[j];
    for (let i = 0; i < 3 * C; i++) s += w.w1[j * 3 * C + i] * x[i];
    h[j] = Math.tanh(s);
  }
  const logits = new Float64Array(L);
  for (let k = 0; k < L; k++) {
    let s = w.b2[k];
    for (let j = 0; j < H; j++) s += w.w2[k * H + j] * h[j];
    logits[k] = s;
  }
  return { ids, pooling, x, h, logits };
}

/** Softmax cross-entropy of one example; `dlogits` receives (softmax − onehot) · scale. */
export function guardLoss(logits: Float64Array, label: number, dlogits?: Float64Array, scale = 1): number {
  const max = Math.max(...logits);
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logSum = max + Math.log(sum);
  if (dlogits) for (let k = 0; k < logits.length; k++) dlogits[k] = (Math.exp(logits[k] - logSum) - (k === label ? 1 : 0)) * scale;
  return logSum - logits[label];
}

/** Accumulate the gradients of one example given dL/dlogits into `grads`. */
export function guardBackward(cfg: GuardConfig, w: GuardWeights, act: GuardActivations, dlogits: Float64Array, grads: GuardWeights): void {
  const C = cfg.embedDim;
  const H = cfg.hiddenDim;
  const L = cfg.labels.length;
  const dh = new Float64Array(H);
  for (let k = 0; k < L; k++) {
    grads.b2[k] += dlogits[k];
    for (let j = 0; j < H; j++) {
      grads.w2[k * H + j] += dlogits[k] * act.h[j];
      dh[j] += w.w2[k * H + j] * dlogits[k];
    }
  }
  const dx = new Float64Array(3 * C);
  for (let j = 0; j < H; j++) {
    const dpre = dh[j] * (1 - act.h[j] * act.h[j]);
    grads.b1[j] += dpre;
    for (let i = 0; i < 3 * C; i++) {
      grads.w1[j * 3 * C + i] += dpre * act.x[i];
      dx[i] += w.w1[j * 3 * C + i] * dpre;
    }
  }
  const parts = [act.pooling.request, act.pooling.response, act.pooling.head];
  act.ids.forEach((id, t) => {
    parts.forEach((part, p) => {
      const weight = part[t];
      if (weight === 0) return;
      for (let c = 0; c < C; c++) grads.embedding[id * C + c] += weight * dx[p * C + c];
    });
  });
}

/** Logits for several sequences (each unpadded), rows in order: the reference for the ONNX export. */
export function guardLogits(cfg: GuardConfig, w: GuardWeights, sequences: readonly (readonly number[])[]): Float64Array {
  const L = cfg.labels.length;
  const out = new Float64Array(sequences.length * L);
  sequences.forEach((ids, b) => out.set(guardForward(cfg, w, ids).logits, b * L));
  return out;
}

/** The weights rounded to f32, as the ONNX file stores them (for comparing a forward with it). */
export function roundGuardWeightsToF32(w: GuardWeights): GuardWeights {
  const round = (a: Float64Array) => Float64Array.from(Float32Array.from(a));
  return { embedding: round(w.embedding), w1: round(w.w1), b1: round(w.b1), w2: round(w.w2), b2: round(w.b2) };
}
