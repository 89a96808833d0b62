// The decoder's parameters on the GPU, named as in Hugging Face checkpoints, and their loading.
//
// Shape letters: V vocab, C hidden, F intermediate, H query heads, KV key/value heads, D head size.
// Linear weights keep the [out, in] layout of the checkpoint.

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { shapeString } from '../gpu/tensor';
import type { ModelConfig } from './config';
import type { TensorReader } from './safetensors';

export const LINEAR_NAMES = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LinearName = (typeof LINEAR_NAMES)[number];

export interface LayerWeights {
  inputNorm: Tensor; // (C) input_layernorm
  postNorm: Tensor; // (C) post_attention_layernorm
  linear: Record<LinearName, Tensor>; // q (H·D,C), k/v (KV·D,C), o (C,H·D), gate/up (F,C), down (C,F)
  bias: Partial<Record<LinearName, Tensor>>; // q/k/v (Qwen2), o (Llama attention_bias), MLP (mlp_bias)
}

export interface DecoderWeights {
  embed: Tensor; // (V,C) model.embed_tokens.weight
  layers: LayerWeights[];
  norm: Tensor; // (C) model.norm.weight
  lmHead: Tensor; // (V,C) lm_head.weight; the same tensor as embed when tied
}

/** HF module path of a linear layer inside decoder layer i. */
export function linearModule(i: number, name: LinearName): string {
  const group = name === 'gate' || name === 'up' || name === 'down' ? 'mlp' : 'self_attn';
  return `model.layers.${i}.${group}.${name}_proj`;
}

/** [out, in] of each linear layer. */
export function linearShape(cfg: ModelConfig, name: LinearName): [number, number] {
  const { hidden: C, intermediate: F, nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  switch (name) {
    case 'q':
      return [H * D, C];
    case 'k':
    case 'v':
      return [KV * D, C];
    case 'o':
      return [C, H * D];
    case 'gate':
    case 'up':
      return [F, C];
    case 'down':
      return [C, F];
  }
}

export function hasBias(cfg: ModelConfig, name: LinearName): boolean {
  if (name === 'q' || name === 'k' || name === 'v') return cfg.qkvBias;
  if (name === 'o') return cfg.oBias;
  return cfg.mlpBias;
}

/** Every parameter with its HF name, in a stable order (embedding first, lm_head last when untied). */
export function namedParameters(cfg: ModelConfig, w: DecoderWeights): [string, Tensor][] {
  const out: [string, Tensor][] = [['model.embed_tokens.weight', w.embed]];
  w.layers.forEach((layer, i) => {
    out.push([`model.layers.${i}.input_layernorm.weight`, layer.inputNorm]);
    for (const name of LINEAR_NAMES) {
      out.push([`${linearModule(i, name)}.weight`, layer.linear[name]]);
      const bias = layer.bias[name];
      if (bias) out.push([`${linearModule(i, name)}.bias`, bias]);
    }
    out.push([`model.layers.${i}.post_attention_layernorm.weight`, layer.postNorm]);
  });
  out.push(['model.norm.weight', w.norm]);
  if (!cfg.tieWordEmbeddings) out.push(['lm_head.weight', w.lmHead]);
  return out;
}

/** Shapes every checkpoint tensor must have, by HF name. */
export function expectedShapes(cfg: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const C = cfg.hidden;
  shapes.set('model.embed_tokens.weight', [cfg.vocabSize, C]);
  for (let i = 0; i < cfg.nLayers; i++) {
    shapes.set(`model.layers.${i}.input_layernorm.weight`, [C]);
    shapes.set(`model.layers.${i}.post_attention_layernorm.weight`, [C]);
    for (const name of LINEAR_NAMES) {
      const [out, inp] = linearShape(cfg, name);
      shapes.set(`${linearModule(i, name)}.weight`, [out, inp]);
      if (hasBias(cfg, name)) shapes.set(`${linearModule(i, name)}.bias`, [out]);
    }
  }
  shapes.set('model.norm.weight', [C]);
  if (!cfg.tieWordEmbeddings) shapes.set('lm_head.weight', [cfg.vocabSize, C]);
  return shapes;
}

export interface LoadProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number; // f32 bytes uploaded so far
  bytesTotal: number;
  name: string; // tensor just uploaded
}

/**
 * Read every tensor of the checkpoint into f32 GPU tensors. Missing tensors and wrong shapes are
 * refused with the tensor's name; a tensor larger than one storage binding is refused with the limit.
 */
export async function loadDecoderWeights(
  gpu: Gpu,
  cfg: ModelConfig,
  reader: TensorReader,
  onProgress?: (p: LoadProgress) => void,
  signal?: AbortSignal,
): Promise<DecoderWeights> {
  const shapes = expectedShapes(cfg);
  const bindingLimit = gpu.info.limits.maxStorageBufferBindingSize;
  let bytesTotal = 0;
  for (const [name, shape] of shapes) {
    if (!reader.has(name)) {
      const hint = name === 'lm_head.weight' ? ' (config.json says tie_word_embeddings is false)' : '';
      throw new Error(`The checkpoint has no tensor "${name}"${hint}. Is this the right model folder for its config.json?`);
    }
    const info = reader.info(name);
    if (info.shape.length !== shape.length || info.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`Checkpoint tensor "${name}" is ${shapeString(info.shape)} but config.json implies ${shapeString(shape)}.`);
    }
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    if (bytes > bindingLimit) {
      throw new Error(
        `Tensor "${name}" ${shapeString(shape)} needs ${(bytes / 2 ** 20).toFixed(0)} MiB as f32, more than this GPU's storage binding limit ` +
          `of ${(bindingLimit / 2 ** 20).toFixed(0)} MiB. This model is too large for this GPU; choose a smaller one.`,
      );
    }
    bytesTotal += bytes;
  }

  const loaded = new Map<string, Tensor>();
  let bytesDone = 0;
  try {
    for (const [name, shape] of shapes) {
      signal?.throwIfAborted();
      const data = await reader.readFloat32(name);
      const t = gpu.upload(data, shape, 'f32', name);
      loaded.set(name, t);
      bytesDone += t.byteLength;
      onProgress?.({ tensorsDone: loaded.size, tensorsTotal: shapes.size, bytesDone, bytesTotal, name });
    }
  } catch (e) {
    for (const t of loaded.values()) t.destroy();
    throw e;
  }
  const get = (name: string) => loaded.get(name)!;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.nLayers; i++) {
    const linear = {} as Record<LinearName, Tensor>;
    const bias: Partial<Record<LinearName, Tensor>> = {};
    for (const name of LINEAR_NAMES) {
      linear[name] = get(`${linearModule(i, name)}.weight`);
      if (hasBias(cfg, name)) bias[name] = get(`${linearModule(i, name)}.bias`);
    }
    layers.push({
      inputNorm: get(`model.layers.${i}.input_layernorm.weight`),
      postNorm: get(`model.layers.${i}.post_attention_layernorm.weight`),
      linear,
      bias,
    });
  }
  const embed = get('model.embed_tokens.weight');
  return { embed, layers, norm: get('model.norm.weight'), lmHead: cfg.tieWordEmbeddings ? embed : get('lm_head.weight') };
}

/** A copy of every weight (a tied lm_head stays tied to the copied embedding). */
export function cloneWeights(gpu: Gpu, cfg: ModelConfig, w: DecoderWeights): DecoderWeights {
  const copy = (t: Tensor) => {
    const c = gpu.empty(t.shape, 'f32', `${t.label}.copy`);
    gpu.copy(t, c);
    return c;
  };
  const layers = w.layers.map((layer) => {
    const linear = {} as Record<LinearName, Tensor>;
    const bias: Partial<Record<LinearName, Tensor>> = {};
    for (const name of LINEAR_NAMES) {
      linear[name] = copy(layer.linear[name]);
      const b = layer.bias[name];
      if (b) bias[name] = copy(b);
    }
    return { inputNorm: copy(layer.inputNorm), postNorm: copy(layer.postNorm), linear, bias };
  });
  const embed = copy(w.embed);
  return { embed, layers, norm: copy(w.norm), lmHead: cfg.tieWordEmbeddings ? embed : copy(w.lmHead) };
}

export function destroyWeights(cfg: ModelConfig, w: DecoderWeights): void {
  for (const [, t] of namedParameters(cfg, w)) t.destroy();
}
