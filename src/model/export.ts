// Merging a LoRA adapter into the base weights and saving a model in Hugging Face's layout
// (config.json + model.safetensors), so a fully fine-tuned or merged model loads in transformers.

import { matmul } from '../ops/matmul';
import { destroyLoraAdapter } from './lora';
import type { DecoderModel } from './model';
import { writeSafetensors } from './safetensors';
import type { ModelConfig } from './config';
import { LINEAR_NAMES, namedParameters, type DecoderWeights } from './weights';

/**
 * W += (alpha/r)·B·A for every adapted layer of the weights in use (the base weights, unless a
 * full copy is attached — so the base changes in place); the adapter is then freed and detached.
 */
export function mergeAdapter(model: DecoderModel): void {
  const adapter = model.adapter;
  if (!adapter) throw new Error('mergeAdapter: the model has no adapter to merge.');
  adapter.layers.forEach((pairs, i) => {
    for (const name of LINEAR_NAMES) {
      const pair = pairs[name];
      if (pair) matmul(model.gpu, pair.B, pair.A, { alpha: adapter.scale, accumulate: true, out: model.weights.layers[i].linear[name] });
    }
  });
  destroyLoraAdapter(adapter);
  model.detach();
}

export interface HfExport {
  'config.json': string;
  'model.safetensors': Uint8Array;
}

/**
 * The model's weights as HF files. `dtype` BF16 halves the size (what most checkpoints ship);
 * F32 keeps every bit. The original config.json object is updated with the dtype.
 */
export async function exportHfModel(cfg: ModelConfig, weights: DecoderWeights, originalConfig: Record<string, unknown>, dtype: 'F32' | 'BF16' = 'BF16'): Promise<HfExport> {
  const tensors: Record<string, { dtype: 'F32' | 'BF16'; shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of namedParameters(cfg, weights)) {
    tensors[name] = { dtype, shape: [...t.shape], data: (await t.read()) as Float32Array };
  }
  const config = { ...originalConfig, torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32' };
  return { 'config.json': `${JSON.stringify(config, null, 2)}\n`, 'model.safetensors': writeSafetensors(tensors, { format: 'pt' }) };
}
