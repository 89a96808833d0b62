// One micro-batch: forward with activations kept, fused cross-entropy on the learned tokens,
// backward into the gradient set. Nothing is read back: the loss stays on the GPU.
// lm_head runs on the learned positions only (P of N; about a third of a chat batch, whose prompts
// and padding have no loss): their final hidden states are gathered, and their gradient scattered
// back, exactly (the other positions' logits would get a zero gradient).
// Shapes: B batch, T time, N = B·T, P learned positions, V vocab.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { LearnedRows } from '../model/batch';
import type { DecoderModel, ModelInputs } from '../model/model';
import { crossEntropyFused, reduceLoss } from '../ops/cross-entropy';
import { embeddingForward } from '../ops/embedding';
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
  const state = model.forwardHidden(inputs, { keep: true, dropoutSeed, training: true });
  const xs = embeddingForward(gpu, learned.rows, state.xf); // (P,C): rows of xf
  const logits = model.logits(xs);
  const { losses, logprobs, dlogits } = crossEntropyFused(gpu, logits, learned.targets, { normaliser, inPlace: true });
  reduceLoss(gpu, losses, learned.targets, { normaliser, into: lossInto, accumulate: true });
  losses.destroy();
  logprobs.destroy();
  model.backward(state, dlogits, gradients.grads, { rows: learned.rows, xs });
  xs.destroy();
}
