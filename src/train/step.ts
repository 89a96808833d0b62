// One micro-batch: forward with activations kept, fused cross-entropy on the learned tokens,
// backward into the gradient set. Nothing is read back: the loss stays on the GPU.
// Only the learned positions (P of N; about a quarter of a chat batch, whose prompts have no loss)
// are read: the last layer runs attention on every row and its output projection, MLP, final norm
// and lm_head on those P rows alone (DecoderModel's outputRows), exactly, since the other rows'
// outputs would get a zero gradient.
// Shapes: B batch, T time, N = B·T, P learned positions, V vocab.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { LearnedRows } from '../model/batch';
import type { DecoderModel, ModelInputs } from '../model/model';
import { crossEntropyFused, reduceLoss } from '../ops/cross-entropy';
import type { GradientSet } from './grads';

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
): void {
  const outputRows = { rows: learned.rows, dropoutRows: learned.dropoutRows ?? learned.rows };
  const state = model.forwardHidden(inputs, { keep: true, dropoutSeed, training: true, outputRows });
  const xs = state.xf; // (P,C): the learned rows
  const logits = model.logits(xs);
  const { losses, logprobs, dlogits } = crossEntropyFused(gpu, logits, learned.targets, { normaliser, inPlace: true });
  reduceLoss(gpu, losses, learned.targets, { normaliser, into: lossInto, accumulate: true });
  losses.destroy();
  logprobs.destroy();
  model.backward(state, dlogits, gradients.grads, { rows: learned.rows, xs });
}
