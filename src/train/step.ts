// One micro-batch: forward with activations kept, fused cross-entropy on the learned tokens,
// backward into the gradient set. Nothing is read back: the loss stays on the GPU.
// Shapes: B batch, T time, N = B·T, V vocab.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { DecoderModel, ModelInputs } from '../model/model';
import { crossEntropyFused, reduceLoss } from '../ops/cross-entropy';
import type { Batch } from './batching';
import type { GradientSet } from './grads';

/** Inputs of a right-padded training batch: positions 0..len-1, keys [0, len) per row. */
export function uploadTrainingBatch(model: DecoderModel, batch: Batch): { inputs: ModelInputs; targets: Tensor } {
  const { B, T } = batch;
  const positions = new Uint32Array(B * T);
  const ranges = new Uint32Array(2 * B);
  let padded = false;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) positions[b * T + t] = t;
    ranges[2 * b + 1] = batch.lengths[b];
    if (batch.lengths[b] < T) padded = true;
  }
  const inputs = model.uploadInputs(B, T, batch.inputIds, positions, padded ? ranges : null);
  const targets = model.gpu.upload(batch.targets, [B * T], 'u32', 'targets');
  return { inputs, targets };
}

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
