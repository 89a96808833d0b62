// Batched generation with a KV cache: prompts of different lengths are left-padded into one
// batch, prefilled in one pass, then decoded a token per step. Sampling runs on the GPU and the
// sampled ids feed the next step directly; only the ids (B u32 per step) are read back, to
// stop on EOS, on stop sequences, or at the token limit. Rows that have finished leave the batch
// (rowsToKeep), so a batch of short and long answers costs the long ones' rows, not all of them;
// a row's tokens do not depend on which others share its batch (its draws are keyed by its place).
// Shapes: B batch, P padded prompt length, S cache capacity (P + max new tokens), C hidden,
// H/KV heads, D head size, V vocab.

import { Tensor } from '../gpu/tensor';
import { embeddingForward } from '../ops/embedding';
import { ropePositionIds } from '../ops/rope';
import { GEMV_MAX_ROWS } from '../ops/matmul';
import { sampleTokens, samplingSettingsTensor, type SamplingSettings } from '../ops/sampling';
import { destroyInputs, type DecoderModel, type KvCache, type ModelInputs } from './model';

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

/**
 * Run T tokens per row through the model (the same layer code as training, with the KV cache) and
 * return the logits (B,V) of each row's last token. The cache grows by T rows.
 */
function stepLogits(model: DecoderModel, inputs: ModelInputs, cache: KvCache, ropeOffset: number): Tensor {
  const { gpu, cfg } = model;
  const { B, T } = inputs;
  const C = cfg.hidden;
  // A prompt of T > 1 tokens: only each row's last position is read, so the last layer's tail runs
  // on those B rows (outputRows); a decode step (T = 1) reads every row. With fewer than
  // GEMV_MAX_ROWS prompts the tail's products would move from the register tile to the GEMV kernel,
  // whose sums round differently: such batches run every row and copy out the last ones, and
  // answer as they did before.
  const tail = T > 1 && B >= GEMV_MAX_ROWS;
  const last = tail ? gpu.upload(Uint32Array.from({ length: B }, (_, b) => b * T + T - 1), [B], 'u32', 'generate.last') : null;
  let x = model.decoderOutput(inputs, { cache, ropeOffset, ...(last ? { outputRows: { rows: last, dropoutRows: last } } : {}) });
  last?.destroy();
  cache.past += T;
  if (T > 1 && !tail) {
    const rows = gpu.empty([B, C], 'f32', 'generate.last');
    for (let b = 0; b < B; b++) gpu.copy(x, rows, C, (b * T + T - 1) * C, b * C);
    x.destroy();
    x = rows;
  }
  const logits = model.logitsOf(x);
  x.destroy();
  return logits;
}

export function validatePrompts(prompts: readonly (readonly number[])[], vocab: number): void {
  if (!prompts.length) throw new Error('generate: no prompts given.');
  prompts.forEach((p, i) => {
    if (!p.length) throw new Error(`generate: prompt ${i} is empty; it needs at least one token (e.g. BOS).`);
    for (const id of p) if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new Error(`generate: prompt ${i} has token id ${id}, outside the vocabulary [0, ${vocab}).`);
  });
}

/**
 * The batch rows (indices into `rows`) to keep once some have finished, or null to keep them all:
 * a decode step costs about the same for a finished row as for a running one, so once a quarter
 * of the rows have finished, the finished ones leave. A batch never shrinks below GEMV_MAX_ROWS
 * rows (finished ones stay to fill it): fewer would move its products to the GEMV kernel, whose
 * sums round differently, and a row's tokens would depend on when the others finished.
 */
export function rowsToKeep(rows: readonly number[], finish: readonly (FinishReason | null)[]): number[] | null {
  const running = rows.flatMap((b, i) => (finish[b] ? [] : [i]));
  const size = Math.max(running.length, Math.min(rows.length, GEMV_MAX_ROWS));
  if (size > (3 * rows.length) / 4 || size === rows.length) return null;
  const keep = new Set(running);
  for (let i = 0; keep.size < size; i++) keep.add(i);
  return [...keep].sort((x, y) => x - y);
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
  const cache: KvCache = {
    k: Array.from({ length: cfg.nLayers }, () => gpu.zeros(cacheShape, 'f32', 'cache.k')),
    v: Array.from({ length: cfg.nLayers }, () => gpu.zeros(cacheShape, 'f32', 'cache.v')),
    past: 0,
  };
  let keyRange = gpu.upload(ranges, [B, 2], 'u32', 'cache.keyRange'); // keys [padding, S) per row
  if (Array.isArray(options.sampling) && options.sampling.length !== B) throw new Error(`generate: ${options.sampling.length} sampling settings for ${B} prompts.`);
  let settings = Array.isArray(options.sampling) ? samplingSettingsTensor(gpu, options.sampling) : options.sampling;
  const eos = new Set(options.eosIds);
  const tokens: number[][] = prompts.map(() => []);
  const finish: (FinishReason | null)[] = prompts.map(() => null);
  const prompt = model.uploadInputs(B, P, ids, ropePositionIds(B, P, mask), null);
  // Decode steps: one token per row, at the row's real length advanced by the step's offset.
  let decode = model.uploadInputs(B, 1, new Uint32Array(B), prompts.map((p) => p.length), null);
  // The prompts (their indices) whose rows the batch holds now: finished rows leave it (below).
  let rows = prompts.map((_, b) => b);
  try {
    let inputs: ModelInputs = { ...prompt, keyRange };
    let ropeOffset = 0;
    for (let t = 0; t < options.maxNewTokens; t++) {
      options.signal?.throwIfAborted();
      const logits = stepLogits(model, inputs, cache, ropeOffset);
      const next = sampleTokens(gpu, logits, settings, { step: t });
      logits.destroy();
      const got = await next.read();
      got.forEach((id, i) => {
        const b = rows[i];
        if (finish[b]) return;
        tokens[b].push(id);
        if (eos.has(id)) finish[b] = 'eos';
        else if (options.stopWhen?.(b, tokens[b])) finish[b] = 'stop';
      });
      options.onStep?.(t + 1, options.maxNewTokens);
      if (finish.every((f) => f) || t === options.maxNewTokens - 1) {
        next.destroy();
        break;
      }
      const keep = rowsToKeep(rows, finish);
      if (keep) {
        // Finished rows leave the batch: their cache rows, ranges, positions and sampling settings
        // are gathered for the rows kept, whose next ids come from this step's readback.
        next.destroy();
        const kept = gpu.upload(Uint32Array.from(keep), [keep.length], 'u32', 'generate.kept');
        for (const list of [cache.k, cache.v]) {
          list.forEach((c, l) => {
            list[l] = embeddingForward(gpu, kept, c.view([rows.length, c.size / rows.length])).view([keep.length, ...c.shape.slice(1)]);
            c.destroy();
          });
        }
        kept.destroy();
        const nextRows = keep.map((i) => rows[i]);
        keyRange.destroy();
        keyRange = gpu.upload(Uint32Array.from(nextRows.flatMap((b) => [pad[b], capacity])), [keep.length, 2], 'u32', 'cache.keyRange');
        if (settings instanceof Tensor) settings.destroy();
        settings = samplingSettingsTensor(
          gpu,
          nextRows.map((b) => {
            const s = Array.isArray(options.sampling) ? options.sampling[b] : options.sampling;
            return { ...s, place: s.place ?? b };
          }),
        );
        destroyInputs(decode);
        decode = model.uploadInputs(keep.length, 1, Uint32Array.from(keep, (i) => got[i]), nextRows.map((b) => prompts[b].length), null);
        rows = nextRows;
      } else {
        // The sampled ids feed the next step directly, without a round trip.
        gpu.copy(next, decode.ids);
        next.destroy();
      }
      inputs = { ...decode, keyRange };
      ropeOffset = t;
    }
  } finally {
    for (const t of [...cache.k, ...cache.v, keyRange]) t.destroy();
    destroyInputs(prompt);
    destroyInputs(decode);
    if (settings instanceof Tensor) settings.destroy();
  }
  return { tokens, finish: finish.map((f) => f ?? 'length') };
}
