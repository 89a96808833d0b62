// One micro-batch: forward with activations kept, fused cross-entropy on the learned tokens,
// backward into the gradient set. Nothing is read back: the loss stays on the GPU.
// Shapes: B batch, T time, N = B·T, V vocab.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
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
  targets: Tensor,
  gradients: GradientSet,
  normaliser: number,
  lossInto: Tensor,
  dropoutSeed: number,
): void {
  const state = model.forwardHidden(inputs, { keep: true, dropoutSeed, training: true });
  const logits = model.logits(state.xf);
  const { losses, logprobs, dlogits } = crossEntropyFused(gpu, logits, targets, { normaliser, inPlace: true });
  reduceLoss(gpu, losses, targets, { normaliser, into: lossInto, accumulate: true });
  losses.destroy();
  logprobs.destroy();
  model.backward(state, dlogits, gradients.grads);
}
