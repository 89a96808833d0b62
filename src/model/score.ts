// Log-likelihood of given completions: Σ log p(completion token | everything before it), batched.
// Used for perplexity filters, multiple-choice accuracy and eval loss. Reads back (B·T) floats
// per batch. Shapes: B batch, T padded length, V vocab.

import { crossEntropyForward } from '../ops/cross-entropy';
import type { TokenizedExample } from '../text/encode-dataset';
import { collate, uploadBatch } from './batch';
import { destroyInputs, type DecoderModel } from './model';

export interface CompletionScore {
  logprob: number; // Σ log p over the scored tokens
  tokens: number; // scored tokens (lossMask = 1, after the first position)
}

/** Perplexity of one scored text: exp(−logprob / tokens). */
export function perplexity(s: CompletionScore): number {
  return s.tokens ? Math.exp(-s.logprob / s.tokens) : NaN;
}

/**
 * Score each example's masked tokens (lossMask = 1) given their prefixes, in batches of
 * `batchSize` rows sorted by length (less padding); results come back in input order.
 */
export async function scoreExamples(model: DecoderModel, examples: TokenizedExample[], options: { batchSize: number; padId: number; signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<CompletionScore[]> {
  const { gpu } = model;
  const order = examples.map((_, i) => i).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
  const out: CompletionScore[] = new Array(examples.length);
  for (let start = 0; start < order.length; start += options.batchSize) {
    options.signal?.throwIfAborted();
    const indices = order.slice(start, start + options.batchSize);
    const batch = collate(examples, indices, options.padId);
    const { inputs, targets } = uploadBatch(model, batch);
    const logits = model.forward(inputs);
    const { losses, logprobs } = crossEntropyForward(gpu, logits, targets);
    logits.destroy();
    const lp = await logprobs.read();
    for (const t of [losses, logprobs, targets]) t.destroy();
    destroyInputs(inputs);
    indices.forEach((ex, b) => {
      let logprob = 0;
      let tokens = 0;
      for (let t = 0; t < batch.T; t++) {
        if (batch.targets[b * batch.T + t] !== 0xffffffff) {
          logprob += lp[b * batch.T + t];
          tokens++;
        }
      }
      out[ex] = { logprob, tokens };
    });
    options.onProgress?.(Math.min(start + options.batchSize, order.length), order.length);
  }
  return out;
}

/** Mean loss per scored token over a set (the eval loss). */
export function meanLoss(scores: CompletionScore[]): number {
  const lp = scores.reduce((s, x) => s + x.logprob, 0);
  const n = scores.reduce((s, x) => s + x.tokens, 0);
  return n ? -lp / n : NaN;
}
