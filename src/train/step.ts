// One micro-batch: forward with activations kept, fused cross-entropy on the learned tokens,
// backward into the gradient set. Nothing is read back: the loss stays on the GPU.
// Only the learned positions (P of N; about a quarter of a chat batch, whose prompts have no loss)
// are read: the last layer runs attention on every row and its output projection, MLP, final norm
// and lm_head on those P rows alone (DecoderModel's outputRows), exactly, since the other rows'
// outputs would get a zero gradient. Where nearly all rows are learned (pre-training style, loss on
// every token), that would save little and cost two gathers and scatters: the final hidden states
// of every row are computed and the learned ones gathered for lm_head (its gradient scattered back).
// Shapes: B batch, T time, N = B·T, P learned positions, V vocab.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { LearnedRows } from '../model/batch';
import type { DecoderModel, ModelInputs } from '../model/model';
import { crossEntropyFused, reduceLoss } from '../ops/cross-entropy';
import { embeddingForward } from '../ops/embedding';
import type { GradientSet } from './grads';

/** The largest share of a batch's rows learned for which the last layer runs on them alone. */
export const ROWS_ONLY_MAX_SHARE = 0.9;

/**
 * Forward + loss + backward for one micro-batch. `normaliser` is the counted tokens of the whole
 * accumulated batch, so micro-batches add up to the gradient of one big batch. The loss (summed
 * over micro-batches, already divided by the normaliser) is added into `lossInto` (2): [loss, count].
 */
export function microBatchStep(
  gpu: Gpu,
  model: DecoderModel,
  inputs: ModelInputs,
  learned: LearnedRows,
  gradients: GradientSet,
  normaliser: number,
  lossInto: Tensor,
  dropoutSeed: number,
  rowsOnly = learned.rows.shape[0] <= ROWS_ONLY_MAX_SHARE * inputs.B * inputs.T, // the last layer's tail on the learned rows alone (default: unless nearly all are learned)
): void {
  const outputRows = rowsOnly ? { rows: learned.rows, dropoutRows: learned.dropoutRows ?? learned.rows } : undefined;
  const state = model.forwardHidden(inputs, { keep: true, dropoutSeed, training: true, outputRows });
  const xs = rowsOnly ? state.xf : embeddingForward(gpu, learned.rows, state.xf); // (P,C): the learned rows
  const logits = model.logits(xs);
  const { losses, logprobs, dlogits } = crossEntropyFused(gpu, logits, learned.targets, { normaliser, inPlace: true });
  reduceLoss(gpu, losses, learned.targets, { normaliser, into: lossInto, accumulate: true });
  losses.destroy();
  logprobs.destroy();
  model.backward(state, dlogits, gradients.grads, { rows: learned.rows, xs });
  if (!rowsOnly) xs.destroy();
}
