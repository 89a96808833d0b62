// Batched generation with a KV cache: prompts of different lengths are left-padded into one
// batch, prefilled in one pass, then decoded a token per step. Sampling runs on the GPU and the
// sampled ids feed the next step directly; only the ids (B u32 per step) are read back, to
// stop on EOS, on stop sequences, or at the token limit.
// Shapes: B batch, P padded prompt length, S cache capacity (P + max new tokens), C hidden,
// H/KV heads, D head size, V vocab.

import type { Tensor } from '../gpu/tensor';
import { attentionDecode, kvCacheAppend } from '../ops/attention';
import { embeddingForward } from '../ops/embedding';
import { linearForward } from '../ops/matmul';
import { addForward } from '../ops/residual';
import { rmsnormForward } from '../ops/rmsnorm';
import { ropeForward, ropePositionIds } from '../ops/rope';
import { sampleTokens, samplingSettingsTensor, type SamplingSettings } from '../ops/sampling';
import { swigluForward } from '../ops/swiglu';
import { linearLoraForward, type LoraBranch } from './linear';
import type { DecoderModel } from './model';
import type { LayerWeights, LinearName } from './weights';

export interface GenerateOptions {
  maxNewTokens: number; // e.g. 256
  sampling: SamplingSettings | SamplingSettings[]; // temperature 0 = greedy; one per prompt allowed
  eosIds: readonly number[]; // stop a row when it produces one of these (kept in the output)
  /** Called with a row's new ids after each step; return true to stop that row (stop strings). */
  stopWhen?: (row: number, newIds: readonly number[]) => boolean;
  onStep?: (done: number, total: number) => void; // progress: steps done of maxNewTokens
  signal?: AbortSignal;
}

export type FinishReason = 'eos' | 'stop' | 'length';

export interface GenerateResult {
  tokens: number[][]; // new ids per prompt (EOS included when produced)
  finish: FinishReason[];
}

interface Cache {
  k: Tensor[]; // per layer (B,S,KV,D)
  v: Tensor[];
  capacity: number; // S
  keyRange: Tensor; // (B,2) u32: [padding, S) per row
}

interface StepInputs {
  B: number;
  T: number; // tokens per row in this step: P for the prefill, 1 when decoding
  past: number; // cache rows already filled
  positions: Tensor; // (B,T) u32
  offset: number; // added to positions (decode step index)
}

function loraBranches(model: DecoderModel, layer: number): (name: LinearName) => LoraBranch | null {
  const adapter = model.adapter;
  return (name) => {
    const pair = adapter?.layers[layer]?.[name];
    return adapter && pair ? { pair, scale: adapter.scale, dropout: 0, seed: 0, offset: 0 } : null;
  };
}

/** One decoder layer over T new tokens per row, reading and extending the cache. */
function layerStep(model: DecoderModel, i: number, w: LayerWeights, x: Tensor, s: StepInputs, cache: Cache): Tensor {
  const { gpu, cfg } = model;
  const { nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  const lora = loraBranches(model, i);
  const run = (name: LinearName, input: Tensor) => linearLoraForward(gpu, input, w.linear[name], w.bias[name], lora(name), false).y;

  const { y: n1, rstd: r1 } = rmsnormForward(gpu, x, w.inputNorm, cfg.rmsNormEps);
  const q = run('q', n1);
  const k = run('k', n1);
  const v = run('v', n1);
  n1.destroy();
  r1.destroy();
  ropeForward(gpu, q, model.invFreq, s.positions, H, { out: q, offset: s.offset });
  ropeForward(gpu, k, model.invFreq, s.positions, KV, { out: k, offset: s.offset });
  kvCacheAppend(gpu, cache.k[i], cache.v[i], k.view([s.B, s.T, KV, D]), v.view([s.B, s.T, KV, D]), s.past);
  k.destroy();
  v.destroy();
  const att = attentionDecode(gpu, q.view([s.B, s.T, H, D]), cache.k[i], cache.v[i], s.past + s.T, cache.keyRange);
  q.destroy();
  const o = run('o', att.view([s.B * s.T, H * D]));
  att.destroy();
  const x1 = addForward(gpu, x, o);
  o.destroy();
  const { y: n2, rstd: r2 } = rmsnormForward(gpu, x1, w.postNorm, cfg.rmsNormEps);
  const gate = run('gate', n2);
  const up = run('up', n2);
  n2.destroy();
  r2.destroy();
  const h = swigluForward(gpu, gate, up);
  gate.destroy();
  up.destroy();
  const down = run('down', h);
  h.destroy();
  const x2 = addForward(gpu, x1, down);
  x1.destroy();
  down.destroy();
  return x2;
}

/** Run T tokens per row through the model; returns logits (B,V) of each row's last token. */
function stepLogits(model: DecoderModel, ids: Tensor, s: StepInputs, cache: Cache): Tensor {
  const { gpu, cfg, weights } = model;
  const C = cfg.hidden;
  let x = embeddingForward(gpu, ids, weights.embed).view([s.B * s.T, C]);
  weights.layers.forEach((w, i) => {
    const next = layerStep(model, i, w, x, s, cache);
    x.destroy();
    x = next;
  });
  let last = x;
  if (s.T > 1) {
    last = gpu.empty([s.B, C], 'f32', 'generate.last');
    for (let b = 0; b < s.B; b++) gpu.copy(x, last, C, (b * s.T + s.T - 1) * C, b * C);
    x.destroy();
  }
  const { y: xf, rstd } = rmsnormForward(gpu, last, weights.norm, cfg.rmsNormEps);
  last.destroy();
  rstd.destroy();
  const logits = linearForward(gpu, xf, weights.lmHead);
  xf.destroy();
  return logits;
}

export function validatePrompts(prompts: readonly (readonly number[])[], vocab: number): void {
  if (!prompts.length) throw new Error('generate: no prompts given.');
  prompts.forEach((p, i) => {
    if (!p.length) throw new Error(`generate: prompt ${i} is empty; it needs at least one token (e.g. BOS).`);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`generate: prompt ${i} has token id ${id}, outside the vocabulary [0, ${vocab}).`);
  });
}

/** Generate continuations of token-id prompts in one left-padded batch. */
export async function generate(model: DecoderModel, prompts: readonly (readonly number[])[], options: GenerateOptions): Promise<GenerateResult> {
  const { gpu, cfg } = model;
  validatePrompts(prompts, cfg.vocabSize);
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) throw new Error(`generate: maxNewTokens must be a positive integer, got ${options.maxNewTokens}.`);
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const capacity = P + options.maxNewTokens;
  const pad = prompts.map((p) => P - p.length);

  // Left padding: row b's real tokens sit at [pad_b, P); its keys are valid from pad_b on.
  const ids = new Uint32Array(B * P);
  const mask = new Uint8Array(B * P);
  prompts.forEach((p, b) => {
    ids.set(p, b * P + pad[b]);
    mask.fill(1, b * P + pad[b], (b + 1) * P);
  });
  const ranges = new Uint32Array(2 * B);
  pad.forEach((n, b) => ranges.set([n, capacity], 2 * b));
  const cacheShape = [B, capacity, cfg.nKvHeads, cfg.headDim];
  const cache: Cache = {
    k: cfg.nLayers ? Array.from({ length: cfg.nLayers }, () => gpu.zeros(cacheShape, 'f32', 'cache.k')) : [],
    v: cfg.nLayers ? Array.from({ length: cfg.nLayers }, () => gpu.zeros(cacheShape, 'f32', 'cache.v')) : [],
    capacity,
    keyRange: gpu.upload(ranges, [B, 2], 'u32', 'cache.keyRange'),
  };
  const settings = Array.isArray(options.sampling) ? samplingSettingsTensor(gpu, options.sampling) : options.sampling;
  if (Array.isArray(options.sampling) && options.sampling.length !== B) throw new Error(`generate: ${options.sampling.length} sampling settings for ${B} prompts.`);
  const eos = new Set(options.eosIds);
  const tokens: number[][] = prompts.map(() => []);
  const finish: (FinishReason | null)[] = prompts.map(() => null);
  const tensors: Tensor[] = [];
  try {
    let input: Tensor = gpu.upload(ids, [B, P], 'u32', 'generate.prompt');
    let positions = gpu.upload(ropePositionIds(B, P, mask), [B, P], 'u32', 'generate.positions');
    tensors.push(input, positions);
    let step: StepInputs = { B, T: P, past: 0, positions, offset: 0 };
    // Decode positions: each row continues at its real length, advanced by `offset` per step.
    const decodePositions = gpu.upload(
      prompts.map((p) => p.length),
      [B, 1],
      'u32',
      'generate.decodePositions',
    );
    tensors.push(decodePositions);
    for (let t = 0; t < options.maxNewTokens; t++) {
      options.signal?.throwIfAborted();
      const logits = stepLogits(model, input, step, cache);
      const next = sampleTokens(gpu, logits, settings, { step: t });
      logits.destroy();
      const got = await next.read();
      got.forEach((id, b) => {
        if (finish[b]) return;
        tokens[b].push(id);
        if (eos.has(id)) finish[b] = 'eos';
        else if (options.stopWhen?.(b, tokens[b])) finish[b] = 'stop';
      });
      options.onStep?.(t + 1, options.maxNewTokens);
      if (input !== tensors[0]) input.destroy();
      input = next;
      if (finish.every((f) => f)) {
        next.destroy();
        break;
      }
      step = { B, T: 1, past: step.past + step.T, positions: decodePositions, offset: t };
      if (t === options.maxNewTokens - 1) next.destroy();
    }
  } finally {
    for (const t of [...cache.k, ...cache.v, cache.keyRange, ...tensors]) t.destroy();
    if (Array.isArray(options.sampling)) (settings as Tensor).destroy();
  }
  return { tokens, finish: finish.map((f) => f ?? 'length') };
}
