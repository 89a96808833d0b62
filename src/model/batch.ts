// A batch of tokenized examples as the model consumes it: right-padded ids, completion-only targets
// (the next token where it is learned, else IGNORE_TARGET) and its upload to the GPU. Training and
// scoring share it. Shapes: B batch, T padded length (the longest row).

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

/** The learned positions of a batch on the GPU: their flat indices b·T + t, ascending, and their targets. */
export interface LearnedRows {
  rows: Tensor; // (P) u32
  targets: Tensor; // (P) u32
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
  return { rows: model.gpu.upload(rows, [rows.length], 'u32', 'learned.rows'), targets: model.gpu.upload(targets, [targets.length], 'u32', 'learned.targets') };
}

/** Inputs of a right-padded batch: positions 0..len-1, keys [0, len) per row. */
export function uploadBatchInputs(model: DecoderModel, batch: Batch): ModelInputs {
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

