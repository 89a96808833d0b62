// Which parameters train, and their gradient buffers. LoRA: the adapter's A and B. Full
// fine-tuning: every base weight (embeddings optional). Gradients are zeroed once per step and
// accumulate over its micro-batches.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import type { LinearGrads } from '../model/linear';
import { loraParameters } from '../model/lora';
import type { DecoderModel, ModelGrads } from '../model/model';
import { LINEAR_NAMES, linearModule } from '../model/weights';

export type TrainMode =
  | { kind: 'lora' } // adapter only (model.adapter must be set)
  | { kind: 'full'; trainEmbeddings: boolean }; // all base weights; embeddings (and a tied lm_head) optional

export interface TrainableParam {
  name: string; // HF name, or "{layer}.{target}.A|B" for adapters
  param: Tensor;
  grad: Tensor; // same shape
  decay: boolean; // weight decay applies (not to norms and biases, as usual)
}

export interface GradientSet {
  mode: TrainMode;
  grads: ModelGrads; // structured view for the backward pass
  params: TrainableParam[]; // flat view for the optimizer
}

export function createGradients(gpu: Gpu, model: DecoderModel, mode: TrainMode): GradientSet {
  const params: TrainableParam[] = [];
  const grad = (name: string, param: Tensor, decay: boolean): Tensor => {
    const g = gpu.zeros(param.shape, 'f32', `grad.${name}`);
    params.push({ name, param, grad: g, decay });
    return g;
  };
  const { cfg, weights } = model;
  const grads: ModelGrads = { layers: weights.layers.map(() => ({ linear: {} })) };

  if (mode.kind === 'lora') {
    const adapter = model.adapter;
    if (!adapter) throw new Error('LoRA training needs an adapter: create or import one first.');
    const named = new Map(loraParameters(adapter));
    adapter.layers.forEach((pairs, i) => {
      for (const name of LINEAR_NAMES) {
        if (!pairs[name]) continue;
        const lin: LinearGrads = {
          dA: grad(`${i}.${name}.A`, named.get(`${i}.${name}.A`)!, true),
          dB: grad(`${i}.${name}.B`, named.get(`${i}.${name}.B`)!, true),
        };
        grads.layers[i].linear[name] = lin;
      }
    });
    return { mode, grads, params };
  }

  if (mode.trainEmbeddings) grads.embed = grad('model.embed_tokens.weight', weights.embed, true);
  weights.layers.forEach((layer, i) => {
    grads.layers[i].inputNorm = grad(`model.layers.${i}.input_layernorm.weight`, layer.inputNorm, false);
    for (const name of LINEAR_NAMES) {
      const lin: LinearGrads = { dW: grad(`${linearModule(i, name)}.weight`, layer.linear[name], true) };
      const bias = layer.bias[name];
      if (bias) lin.db = grad(`${linearModule(i, name)}.bias`, bias, false);
      grads.layers[i].linear[name] = lin;
    }
    grads.layers[i].postNorm = grad(`model.layers.${i}.post_attention_layernorm.weight`, layer.postNorm, false);
  });
  grads.norm = grad('model.norm.weight', weights.norm, false);
  if (!cfg.tieWordEmbeddings) grads.lmHead = grad('lm_head.weight', weights.lmHead, true);
  return { mode, grads, params };
}

export function zeroGradients(gpu: Gpu, set: GradientSet): void {
  for (const p of set.params) gpu.clear(p.grad);
}

export function destroyGradients(set: GradientSet): void {
  for (const p of set.params) p.grad.destroy();
}
