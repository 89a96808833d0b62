// Preparing tokenized examples for training: truncation (counted), examples with nothing to learn
// dropped, and length-bucketed batches with a seeded shuffle. Padding a batch is model/batch.ts.

import type { TokenizedExample } from '../text/encode-dataset';
import { Rng } from '../util/rng';

export interface PrepareReport {
  kept: number;
  truncated: number; // examples cut to maxLength
  droppedNoTarget: number; // examples with no learned token left after truncation
}

/** Truncate to maxLength and drop examples that would teach nothing. */
export function prepareExamples(examples: TokenizedExample[], maxLength: number): { examples: TokenizedExample[]; report: PrepareReport } {
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new Error(`maxLength must be an integer ≥ 2, got ${maxLength}.`);
  const out: TokenizedExample[] = [];
  const report: PrepareReport = { kept: 0, truncated: 0, droppedNoTarget: 0 };
  for (const e of examples) {
    if (e.ids.length !== e.lossMask.length) throw new Error(`A tokenized example has ${e.ids.length} ids but a loss mask of ${e.lossMask.length}.`);
    let ex = e;
    if (e.ids.length > maxLength) {
      ex = { ids: e.ids.slice(0, maxLength), lossMask: Array.prototype.slice.call(e.lossMask, 0, maxLength) as number[] };
      report.truncated++;
    }
    let learned = 0;
    for (let t = 1; t < ex.ids.length; t++) learned += ex.lossMask[t] ? 1 : 0;
    if (!learned) {
      report.droppedNoTarget++;
      continue;
    }
    out.push(ex);
  }
  report.kept = out.length;
  return { examples: out, report };
}

export interface BatchPlanOptions {
  batchSize: number; // rows per batch
  seed: number; // shuffle seed (one epoch = one permutation)
  bucketBatches?: number; // sort by length within windows of this many batches; 1 (default) = no bucketing, the batches are random draws
}

/**
 * Plan one epoch: a seeded permutation cut into batches. With `bucketBatches` > 1 the permutation is
 * length-sorted within windows of that many batches, so each batch holds examples of similar
 * length (less padding), then the batch order is shuffled again. Bucketing makes each batch one
 * kind of example where kinds differ in length (a few short refusals mixed into longer task rows
 * end up in the same batches), which trained a small model measurably worse (train/config.ts).
 */
export function planEpoch(lengths: number[], options: BatchPlanOptions): number[][] {
  const { batchSize, seed } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}.`);
  const window = batchSize * Math.max(1, options.bucketBatches ?? 1);
  const rng = new Rng(seed);
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return rng.shuffle(batches);
}

/**
 * One optimizer step's micro-batches with its rows sorted by length and cut again into micro-batches
 * of `batchSize`: the step trains the same rows (its loss is normalised over all of them, so the
 * gradient is the same up to float rounding), each micro-batch padded to rows of similar length.
 */
export function sortStepRows(step: number[][], lengths: number[], batchSize: number): number[][] {
  const rows = step.flat().sort((a, b) => lengths[a] - lengths[b] || a - b);
  const out: number[][] = [];
  for (let i = 0; i < rows.length; i += batchSize) out.push(rows.slice(i, i + batchSize));
  return out;
}
