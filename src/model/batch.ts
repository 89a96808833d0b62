// A batch of tokenized examples as the model consumes it: right-padded ids, completion-only targets
// (the next token where it is learned, else IGNORE_TARGET) and its upload to the GPU. Training and
// scoring share it. Shapes: B batch, T padded length (the longest row). Training may lay the same
// examples side by side in one row instead (collatePaddingFree): no padding, the same gradient.

import type { Tensor } from '../gpu/tensor';
import { IGNORE_TARGET } from '../ops/cross-entropy';
import type { TokenizedExample } from '../text/encode-dataset';
import type { DecoderModel, ModelInputs } from './model';

export { IGNORE_TARGET };

export interface Batch {
  B: number; // rows
  T: number; // padded length (longest row)
  inputIds: Uint32Array; // (B,T) right-padded with padId
  targets: Uint32Array; // (B,T) targets[b,t] = ids[b,t+1] where that token is learned, else IGNORE_TARGET
  lengths: number[]; // (B) real length of each row
  countedTokens: number; // targets that count in the loss
  exampleIndices: number[]; // (B) which examples (after preparation) make up the batch
  packed?: PackedRow; // padding-free: the examples side by side in one row (B = 1), not one per row
}

/** A padding-free batch's one row: its examples' lengths in order, and the T of their padded batch. */
export interface PackedRow {
  lengths: number[]; // per example, in exampleIndices order; they sum to T
  paddedT: number; // the longest example: where collate would put each token (b·paddedT + t), for dropout
}

/** Pad a group of examples into one batch. */
export function collate(examples: TokenizedExample[], indices: number[], padId: number): Batch {
  const B = indices.length;
  const T = Math.max(...indices.map((i) => examples[i].ids.length));
  const inputIds = new Uint32Array(B * T).fill(padId);
  const targets = new Uint32Array(B * T).fill(IGNORE_TARGET);
  let countedTokens = 0;
  indices.forEach((idx, b) => {
    const { ids, lossMask } = examples[idx];
    for (let t = 0; t < ids.length; t++) inputIds[b * T + t] = ids[t];
    for (let t = 0; t + 1 < ids.length; t++) {
      if (lossMask[t + 1]) {
        targets[b * T + t] = ids[t + 1];
        countedTokens++;
      }
    }
  });
  return { B, T, inputIds, targets, lengths: indices.map((i) => examples[i].ids.length), countedTokens, exampleIndices: [...indices] };
}

/**
 * The same examples as collate, side by side in one row with no padding (B = 1, T = Σ lengths):
 * each attends only to itself (per-token key ranges), its positions start at 0, and its targets
 * are collate's, so a training step learns the same tokens with the same gradient up to rounding,
 * on fewer tokens. LoRA dropout draws the masks of the padded batch (PackedRow.paddedT).
 */
export function collatePaddingFree(examples: TokenizedExample[], indices: number[]): Batch {
  const lengths = indices.map((i) => examples[i].ids.length);
  const T = lengths.reduce((a, n) => a + n, 0);
  const inputIds = new Uint32Array(T);
  const targets = new Uint32Array(T).fill(IGNORE_TARGET);
  let countedTokens = 0;
  let at = 0;
  for (const idx of indices) {
    const { ids, lossMask } = examples[idx];
    inputIds.set(ids, at);
    for (let t = 0; t + 1 < ids.length; t++) {
      if (lossMask[t + 1]) {
        targets[at + t] = ids[t + 1];
        countedTokens++;
      }
    }
    at += ids.length;
  }
  return { B: 1, T, inputIds, targets, lengths: [T], countedTokens, exampleIndices: [...indices], packed: { lengths, paddedT: Math.max(...lengths) } };
}

/** The learned positions of a batch on the GPU: their flat indices b·T + t, ascending, and their targets. */
export interface LearnedRows {
  rows: Tensor; // (P) u32
  targets: Tensor; // (P) u32
  dropoutRows?: Tensor | null; // (P) u32 the rows their LoRA dropout draws for (ModelInputs.dropoutRows at `rows`); absent: `rows` themselves
}

/** Inputs and every position's target (IGNORE_TARGET where nothing is learned). */
export function uploadBatch(model: DecoderModel, batch: Batch): { inputs: ModelInputs; targets: Tensor } {
  return { inputs: uploadBatchInputs(model, batch), targets: model.gpu.upload(batch.targets, [batch.B * batch.T], 'u32', 'targets') };
}

/** The flat positions b·T + t whose token is learned, ascending, and their targets. */
export function learnedPositions(batch: Batch): { rows: Uint32Array; targets: Uint32Array } {
  const rows = new Uint32Array(batch.countedTokens);
  const targets = new Uint32Array(batch.countedTokens);
  let n = 0;
  batch.targets.forEach((t, i) => {
    if (t === IGNORE_TARGET) return;
    rows[n] = i;
    targets[n++] = t;
  });
  if (n !== batch.countedTokens) throw new Error(`learnedPositions: the batch counts ${batch.countedTokens} learned tokens but its targets hold ${n}.`);
  return { rows, targets };
}

/** The learned positions only (P = countedTokens ≥ 1): what a training step's loss reads. */
export function uploadLearned(model: DecoderModel, batch: Batch): LearnedRows {
  if (!batch.countedTokens) throw new Error('uploadLearned: the batch learns no token.');
  const { rows, targets } = learnedPositions(batch);
  const gpu = model.gpu;
  const drawn = batch.packed ? packedInputs(batch.packed).dropoutRows : null;
  return {
    rows: gpu.upload(rows, [rows.length], 'u32', 'learned.rows'),
    targets: gpu.upload(targets, [targets.length], 'u32', 'learned.targets'),
    dropoutRows: drawn ? gpu.upload(rows.map((r) => drawn[r]), [rows.length], 'u32', 'learned.dropoutRows') : null,
  };
}

/** Free what uploadLearned made. */
export function destroyLearned(learned: LearnedRows): void {
  learned.rows.destroy();
  learned.targets.destroy();
  learned.dropoutRows?.destroy();
}

/** Inputs of a right-padded batch: positions 0..len-1, keys [0, len) per row; or of a padding-free one (packedInputs). */
export function uploadBatchInputs(model: DecoderModel, batch: Batch): ModelInputs {
  if (batch.packed) {
    const { positions, keyRanges, dropoutRows } = packedInputs(batch.packed);
    return model.uploadInputs(1, batch.T, batch.inputIds, positions, keyRanges, { dropoutRows });
  }
  const { B, T } = batch;
  const positions = new Uint32Array(B * T);
  const ranges = new Uint32Array(2 * B);
  let padded = false;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) positions[b * T + t] = t;
    ranges[2 * b + 1] = batch.lengths[b];
    if (batch.lengths[b] < T) padded = true;
  }
  return model.uploadInputs(B, T, batch.inputIds, positions, padded ? ranges : null);
}

/** A padding-free row's positions (from 0 in each example), per-token key ranges (its example's [first, end)) and dropout rows (b·paddedT + t). */
export function packedInputs(packed: PackedRow): { positions: Uint32Array; keyRanges: Uint32Array; dropoutRows: Uint32Array } {
  const T = packed.lengths.reduce((a, n) => a + n, 0);
  const positions = new Uint32Array(T);
  const keyRanges = new Uint32Array(2 * T);
  const dropoutRows = new Uint32Array(T);
  let first = 0;
  packed.lengths.forEach((n, b) => {
    for (let t = 0; t < n; t++) {
      positions[first + t] = t;
      keyRanges[2 * (first + t)] = first;
      keyRanges[2 * (first + t) + 1] = first + n;
      dropoutRows[first + t] = b * packed.paddedT + t;
    }
    first += n;
  });
  return { positions, keyRanges, dropoutRows };
}
