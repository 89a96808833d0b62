// Causal multi-head attention with grouped-query heads (GQA), forward, backward, and KV-cache
// decode. Shader: shaders/attention.wgsl.
//
// Shapes: q is (B,T,H,D); k, v are (B,Srows,KV,D) with H a multiple of KV (query head h uses kv
// head h / (H/KV)); out is (B,T,H,D); lse is (B,H,T). S ≤ Srows keys are in use (S = Srows
// unless a KV cache of capacity Smax = Srows is passed with `keyLength`), and T ≤ S: query t sits
// at absolute position past + t, past = S − T, and attends keys s ≤ past + t (causal), scaled by
// 1/sqrt(D). D must be a multiple of 4 (vec4 loads) and at most 256.
//
// Kernels: attentionForward and attentionBackward run one thread per query row (dq) or key row
// (dk, dv) — two rows of one head in the 'registers' variant (rowsPerThread) — in one of two
// variants (attentionRowVariant):
//   'registers'  head vectors in named matrices (shaders/attention_small_head.wgsl), D = 16, 32,
//                48 or 64 on software adapters (B16 T64 H4 D32, Node/SwiftShader, same run:
//                forward 144–282 → 79–88 ms, backward 704–742 → 195–219 ms; B4 T128 H9 D64:
//                forward 688–887 → 511–540 ms, backward 2,158–3,020 → 719–918 ms)
//   'arrays'     head vectors in private arrays (shaders/attention.wgsl): any D, and GPUs.
// attentionDecode (prefill and decode steps against a KV
// cache) has two variants, chosen per adapter (attentionDecodeVariant):
//   'rows'       the forward's thread per query row: software adapters, where a workgroup's
//                barriers switch between all its invocations on one CPU thread (64 prompts of 40
//                tokens, H 4, D 32, Node/SwiftShader: prefill 4,740 → 209 ms per layer, decode
//                step 83 → 7.9 ms)
//   'workgroup'  one workgroup per query row with the keys in parallel, so a single token still
//                spreads over a GPU: hardware adapters.
// All give the same result up to rounding.
//
// Key padding: an optional u32 (B,2) `keyRange` holds each batch row's valid keys [first, end).
//   right padding (training):           [0, length)
//   left padding (batched generation):  [padCount, Smax) — the causal limit already stops at the
//                                       current length, so the range stays fixed while decoding
//   packed sequences (padding-free      a u32 (B,T,2) range per token instead: the sequence
//   training, S = T):                   [first, end) it belongs to; query t attends [first, t]
// A query that sees no valid key (a left-padding query) gets output 0 and lse 0, never NaN.
//
// Memory: the forward keeps only lse, B·H·T floats (4·9·128·4 B = 18 KiB at B=4, T=128, H=9),
// instead of the (B,H,T,S) probabilities (2.4 MiB there, 1 GiB at B=8, H=32, T=S=1024); the
// backward recomputes probabilities and allocates a temporary (B,H,T,2) of (lse, dout·out).

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, dims, ShapeError } from './guards';
import source from '../../shaders/attention.wgsl?raw';
import { ATTENTION_WG as WG, attentionDecodeVariant, rowKernel, rowsPerThread, shaderFor, type RowEntry } from './attention-kernels';

export { attentionDecodeVariant, attentionRowVariant, setAttentionDecodeVariant, setAttentionRowVariant } from './attention-kernels';
export type { AttentionDecodeVariant, AttentionRowVariant } from './attention-kernels';

const MAX_HEAD_DIM = 256; // the decode kernel's 64 threads cover D/4 vec4 columns

export interface AttentionShape {
  batch: number; // B
  queryLen: number; // T
  keyLen: number; // S, keys in use (past + T)
  keyRows: number; // rows per batch row in the k/v buffers: S, or a cache's capacity Smax
  heads: number; // H
  kvHeads: number; // KV
  headDim: number; // D
}

export interface AttentionOptions {
  /** u32 (B,2): valid keys [first, end) of each batch row; or u32 (B,T,2): each token's packed sequence [first, end) (S = T); omitted = every key is valid. */
  keyRange?: Tensor | null;
  /** Keys in use S when k/v are a cache of capacity Smax = k.shape[1]; default Smax. */
  keyLength?: number;
  out?: Tensor; // (B,T,H,D), written
  lse?: Tensor; // (B,H,T), written
}

export interface AttentionGrads {
  dq: Tensor; // (B,T,H,D)
  dk: Tensor; // (B,S,KV,D)
  dv: Tensor; // (B,S,KV,D)
}

/** Check q, k, v (and the key range) and return the shape; `op` names the caller in errors. */
export function attentionShape(op: string, q: Tensor, k: Tensor, v: Tensor, keyLength?: number, keyRange?: Tensor | null): AttentionShape {
  assertDType(op, { q, k, v }, 'f32');
  const [batch, queryLen, heads, headDim] = dims(op, 'q', q, 4);
  const [kb, keyRows, kvHeads, kd] = dims(op, 'k', k, 4);
  const shapes = `q[${q.shape.join(', ')}], k[${k.shape.join(', ')}]`;
  if (kb !== batch || kd !== headDim) throw new ShapeError(op, `k must be (B,S,KV,D) matching q (B,T,H,D); got ${shapes}.`);
  assertShape(op, 'v', v, k.shape);
  if (heads % kvHeads !== 0) throw new ShapeError(op, `query heads H=${heads} must be a multiple of kv heads KV=${kvHeads} (${shapes}).`);
  if (headDim > MAX_HEAD_DIM || headDim % 4 !== 0) {
    throw new ShapeError(op, `head size D=${headDim} must be a multiple of 4 (vec4 loads) and at most ${MAX_HEAD_DIM} (${shapes}).`);
  }
  const keyLen = keyLength ?? keyRows;
  if (!Number.isInteger(keyLen) || keyLen < queryLen || keyLen > keyRows) {
    throw new ShapeError(op, `keys in use S=${keyLen} must satisfy T=${queryLen} ≤ S ≤ ${keyRows} rows of k (${shapes}).`);
  }
  if (batch < 1 || queryLen < 1 || heads < 1 || headDim < 1) throw new ShapeError(op, `empty input: ${shapes}.`);
  if (keyRange) {
    assertDType(op, { keyRange }, 'u32');
    if (keyRange.shape.length === 3) {
      assertShape(op, 'keyRange', keyRange, [batch, queryLen, 2]);
      if (keyLen !== queryLen) throw new ShapeError(op, `a per-token keyRange (packed sequences) needs S = T, without a cache; got S=${keyLen}, T=${queryLen}.`);
    } else assertShape(op, 'keyRange', keyRange, [batch, 2]);
  }
  return { batch, queryLen, keyLen, keyRows, heads, kvHeads, headDim };
}

/** The shader's use_key_range: 0 every key valid, 1 a range per batch row, 2 a range per token (packed sequences). */
function keyRangeMode(keyRange: Tensor | null | undefined): number {
  if (!keyRange) return 0;
  return keyRange.shape.length === 3 ? 2 : 1;
}

function attentionParams(shape: AttentionShape, keyRange: Tensor | null | undefined, gridX: number, rows: number): ArrayBuffer {
  return params()
    .u32(shape.batch)
    .u32(shape.queryLen)
    .u32(shape.keyLen)
    .u32(shape.keyRows)
    .u32(shape.heads)
    .u32(shape.kvHeads)
    .u32(shape.headDim / 4)
    .u32(keyRangeMode(keyRange))
    .f32(1 / Math.sqrt(shape.headDim))
    .u32(gridX)
    .u32(rows)
    .u32(0)
    .build();
}

/** The shader's key_range binding: the caller's, or a placeholder when every key is valid. */
function keyRangeBinding(gpu: Gpu, keyRange: Tensor | null | undefined): Tensor {
  return keyRange ?? gpu.zeros([2], 'u32', 'attention.noKeyRange');
}

/**
 * Pipeline, uniforms and grid of a row kernel over `groups` heads (H for the query kernels, KV for
 * dk/dv) of `rowsPerHead` rows (T or S) per batch row: one work item per thread, of one or two
 * rows (rowsPerThread).
 */
function rowLaunch(gpu: Gpu, entry: RowEntry, shape: AttentionShape, keyRange: Tensor | null | undefined, groups: number, rowsPerHead: number) {
  const items = shape.batch * groups * Math.ceil(rowsPerHead / rowsPerThread(gpu, entry, shape.headDim, rowsPerHead));
  const workgroups = grid(ceilDiv(items, WG));
  return { pipeline: rowKernel(gpu, entry, shape.headDim, rowsPerHead), params: attentionParams(shape, keyRange, workgroups[0], items), workgroups };
}

type ForwardKernel = 'attention_forward' | 'attention_decode';

function forward(op: string, kernel: ForwardKernel, gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions): { out: Tensor; lse: Tensor } {
  const shape = attentionShape(op, q, k, v, options.keyLength, options.keyRange);
  const { batch, queryLen, heads, headDim } = shape;
  const out = options.out ?? gpu.empty(q.shape, 'f32', 'attention.out');
  const lse = options.lse ?? gpu.empty([batch, heads, queryLen], 'f32', 'attention.lse');
  assertShape(op, 'out', out, q.shape);
  assertShape(op, 'lse', lse, [batch, heads, queryLen]);
  // attention_forward: a thread per query row (or two); attention_decode: a workgroup per query row.
  const rows = batch * heads * queryLen;
  const workgroups = grid(rows);
  const launch =
    kernel === 'attention_forward'
      ? rowLaunch(gpu, kernel, shape, options.keyRange, heads, queryLen)
      : { pipeline: gpu.kernel(shaderFor(headDim), kernel, { WG }), params: attentionParams(shape, options.keyRange, workgroups[0], rows), workgroups };
  const range = keyRangeBinding(gpu, options.keyRange);
  gpu.dispatch({ ...launch, buffers: [q, k, v, range, out, lse] });
  if (!options.keyRange) range.destroy();
  return { out, lse };
}

/**
 * out = softmax(q·kᵀ/sqrt(D) + causal and key mask)·v, and lse (B,H,T) for the backward.
 * One thread per query row: for training and prefill, where B·H·T rows keep the GPU busy.
 */
export function attentionForward(gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): { out: Tensor; lse: Tensor } {
  return forward('attentionForward', 'attention_forward', gpu, q, k, v, options);
}

/**
 * A prefill or decode step: q (B,T,H,D) against the first `length` rows of a KV cache
 * (B,Smax,KV,D) that already holds this step's keys and values (see kvCacheAppend), with the
 * kernel of attentionDecodeVariant. Same result as attentionForward with keyLength = length;
 * returns out (B,T,H,D).
 */
export function attentionDecode(gpu: Gpu, q: Tensor, kCache: Tensor, vCache: Tensor, length: number, keyRange?: Tensor | null, out?: Tensor): Tensor {
  const lse = gpu.empty([q.shape[0] ?? 1, q.shape[2] ?? 1, q.shape[1] ?? 1], 'f32', 'attention.decodeLse');
  const kernel = attentionDecodeVariant(gpu) === 'rows' ? 'attention_forward' : 'attention_decode';
  const result = forward('attentionDecode', kernel, gpu, q, kCache, vCache, { keyRange, keyLength: length, out, lse });
  lse.destroy();
  return result.out;
}

/**
 * Gradients of attentionForward: dq (B,T,H,D), dk and dv (B,S,KV,D), written (not accumulated).
 * One thread per query row for dq and per key row for dk/dv, which gather over the H/KV query
 * heads sharing their kv head in a fixed order (deterministic, no atomics).
 * k/v must hold exactly the S keys (no cache capacity beyond S).
 */
export function attentionBackward(gpu: Gpu, q: Tensor, k: Tensor, v: Tensor, out: Tensor, lse: Tensor, dout: Tensor, options: { keyRange?: Tensor | null } = {}): AttentionGrads {
  const op = 'attentionBackward';
  const shape = attentionShape(op, q, k, v, undefined, options.keyRange);
  const { batch, queryLen, keyLen, heads, kvHeads, headDim } = shape;
  assertShape(op, 'out', out, q.shape);
  assertShape(op, 'dout', dout, q.shape);
  assertShape(op, 'lse', lse, [batch, heads, queryLen]);
  assertDType(op, { out, lse, dout }, 'f32');
  const range = keyRangeBinding(gpu, options.keyRange);
  const shader = shaderFor(headDim);
  const queryRows = batch * heads * queryLen;
  const queryGrid = grid(ceilDiv(queryRows, WG));

  const stats = gpu.empty([batch, heads, queryLen, 2], 'f32', 'attention.rowStats');
  gpu.dispatch({
    pipeline: gpu.kernel(shader, 'attention_backward_rows', { WG }),
    params: attentionParams(shape, options.keyRange, queryGrid[0], queryRows),
    buffers: [out, dout, lse, stats],
    workgroups: queryGrid,
  });
  const dq = gpu.empty(q.shape, 'f32', 'attention.dq');
  gpu.dispatch({ ...rowLaunch(gpu, 'attention_backward_query', shape, options.keyRange, heads, queryLen), buffers: [q, k, v, range, dout, stats, dq] });
  const dk = gpu.empty(k.shape, 'f32', 'attention.dk');
  const dv = gpu.empty(v.shape, 'f32', 'attention.dv');
  gpu.dispatch({ ...rowLaunch(gpu, 'attention_backward_key', shape, options.keyRange, kvHeads, keyLen), buffers: [q, k, v, range, dout, stats, dk, dv] });
  stats.destroy();
  if (!options.keyRange) range.destroy();
  return { dq, dk, dv };
}

/** Write k, v (B,T,KV,D) into rows [position, position+T) of the caches (B,Smax,KV,D). */
export function kvCacheAppend(gpu: Gpu, kCache: Tensor, vCache: Tensor, k: Tensor, v: Tensor, position: number): void {
  const op = 'kvCacheAppend';
  assertDType(op, { kCache, vCache, k, v }, 'f32');
  const [batch, capacity, kvHeads, headDim] = dims(op, 'kCache', kCache, 4);
  assertShape(op, 'vCache', vCache, kCache.shape);
  const [kb, time, kh, kd] = dims(op, 'k', k, 4);
  assertShape(op, 'v', v, k.shape);
  if (kb !== batch || kh !== kvHeads || kd !== headDim || headDim % 4 !== 0) {
    throw new ShapeError(op, `k[${k.shape.join(', ')}] must be (B,T,KV,D) matching kCache[${kCache.shape.join(', ')}], D a multiple of 4.`);
  }
  if (!Number.isInteger(position) || position < 0 || position + time > capacity) {
    throw new ShapeError(op, `rows [${position}, ${position + time}) do not fit the cache capacity Smax=${capacity}.`);
  }
  const rowVec4s = (kvHeads * headDim) / 4;
  const count = k.size / 4;
  const workgroups = grid(ceilDiv(count, WG));
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'kv_cache_append', { WG }),
    params: params().u32(count).u32(time * rowVec4s).u32(capacity * rowVec4s).u32(position * rowVec4s).u32(workgroups[0] * WG).build(),
    buffers: [k, v, kCache, vCache],
    workgroups,
  });
}

/**
 * (B,2) [first, end) ranges from a (B,S) key mask (nonzero = valid) whose valid keys are
 * contiguous in each row, as left- or right-padded batches are. A row with none gets [0, 0).
 */
export function keyRangesFromMask(mask: ArrayLike<number>, batch: number, keyLen: number): Uint32Array {
  if (mask.length !== batch * keyLen) throw new ShapeError('keyRangesFromMask', `mask has ${mask.length} values, expected B·S = ${batch}·${keyLen}.`);
  const ranges = new Uint32Array(2 * batch);
  for (let b = 0; b < batch; b++) {
    const row = Array.from({ length: keyLen }, (_, s) => mask[b * keyLen + s] !== 0);
    const first = row.indexOf(true);
    const end = row.lastIndexOf(true) + 1;
    if (first >= 0 && row.slice(first, end).includes(false)) {
      throw new ShapeError('keyRangesFromMask', `row ${b} has gaps between valid keys; only left or right padding is supported.`);
    }
    ranges[2 * b] = first < 0 ? 0 : first;
    ranges[2 * b + 1] = first < 0 ? 0 : end;
  }
  return ranges;
}

// ---- CPU reference (f64) ------------------------------------------------------------------------

/** Keys [first, end) that query t of batch row b attends; first ≥ end means none. keyRange is (B,2), or (B,T,2) when perToken. */
function keyWindowCpu(shape: AttentionShape, keyRange: ArrayLike<number> | null | undefined, perToken: boolean, b: number, t: number): [number, number] {
  const at = perToken ? 2 * (b * shape.queryLen + t) : 2 * b;
  const first = keyRange ? keyRange[at] : 0;
  const validEnd = keyRange ? Math.min(keyRange[at + 1], shape.keyLen) : shape.keyLen;
  return [first, Math.min(validEnd, shape.keyLen - shape.queryLen + t + 1)];
}

/** Softmax probabilities of query (b,h,t) over its window, or null when it sees no key. */
function probabilitiesCpu(q: ArrayLike<number>, k: ArrayLike<number>, shape: AttentionShape, window: [number, number], b: number, h: number, t: number): Float64Array | null {
  const { queryLen, heads, kvHeads, keyRows, headDim } = shape;
  const [first, end] = window;
  if (first >= end) return null;
  const g = Math.floor(h / (heads / kvHeads));
  const qBase = ((b * queryLen + t) * heads + h) * headDim;
  const scores = new Float64Array(end - first);
  for (let s = first; s < end; s++) {
    const kBase = ((b * keyRows + s) * kvHeads + g) * headDim;
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += q[qBase + d] * k[kBase + d];
    scores[s - first] = dot / Math.sqrt(headDim);
  }
  const max = Math.max(...scores);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i] - max);
  return scores.map((x) => Math.exp(x - max) / sum);
}

/** out (B,T,H,D) and lse (B,H,T); a query with no visible key gets out 0 and lse 0. */
export function attentionForwardCpu(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, shape: AttentionShape, keyRange?: ArrayLike<number> | null, perToken = false): { out: Float64Array; lse: Float64Array } {
  const { batch, queryLen, heads, kvHeads, keyRows, headDim } = shape;
  const out = new Float64Array(batch * queryLen * heads * headDim);
  const lse = new Float64Array(batch * heads * queryLen);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / (heads / kvHeads));
      for (let t = 0; t < queryLen; t++) {
        const window = keyWindowCpu(shape, keyRange, perToken, b, t);
        const probs = probabilitiesCpu(q, k, shape, window, b, h, t);
        if (!probs) continue;
        const qBase = ((b * queryLen + t) * heads + h) * headDim;
        // lse = log Σ exp(score) = score_s − log p_s for any s; take the largest p for accuracy.
        let best = 0;
        for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
        const bestKey = ((b * keyRows + window[0] + best) * kvHeads + g) * headDim;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qBase + d] * k[bestKey + d];
        lse[(b * heads + h) * queryLen + t] = dot / Math.sqrt(headDim) - Math.log(probs[best]);
        for (let s = window[0]; s < window[1]; s++) {
          const vBase = ((b * keyRows + s) * kvHeads + g) * headDim;
          const weight = probs[s - window[0]];
          for (let d = 0; d < headDim; d++) out[qBase + d] += weight * v[vBase + d];
        }
      }
    }
  }
  return { out, lse };
}

/**
 * dq (B,T,H,D), dk and dv (B,S,KV,D) from the probabilities written out explicitly:
 * dS = P·(dP − Σ P·dP), dq = scale·dS·k, dk = scale·dSᵀ·q, dv = Pᵀ·dout.
 */
export function attentionBackwardCpu(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dout: ArrayLike<number>, shape: AttentionShape, keyRange?: ArrayLike<number> | null, perToken = false): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { batch, queryLen, heads, kvHeads, keyRows, headDim } = shape;
  const scale = 1 / Math.sqrt(headDim);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / (heads / kvHeads));
      for (let t = 0; t < queryLen; t++) {
        const window = keyWindowCpu(shape, keyRange, perToken, b, t);
        const probs = probabilitiesCpu(q, k, shape, window, b, h, t);
        if (!probs) continue;
        const qBase = ((b * queryLen + t) * heads + h) * headDim;
        const kvBase = (s: number) => ((b * keyRows + s) * kvHeads + g) * headDim;
        const dprobs = probs.map((_, i) => {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += dout[qBase + d] * v[kvBase(window[0] + i) + d];
          return dot;
        });
        let expected = 0;
        for (let i = 0; i < probs.length; i++) expected += probs[i] * dprobs[i];
        for (let i = 0; i < probs.length; i++) {
          const base = kvBase(window[0] + i);
          const dscore = probs[i] * (dprobs[i] - expected) * scale;
          for (let d = 0; d < headDim; d++) {
            dq[qBase + d] += dscore * k[base + d];
            dk[base + d] += dscore * q[qBase + d];
            dv[base + d] += probs[i] * dout[qBase + d];
          }
        }
      }
    }
  }
  return { dq, dk, dv };
}
