// PEFT interop: LoRA adapters in PEFT's on-disk layout (adapter_config.json +
// adapter_model.safetensors), so an adapter tuned here loads in the Python ecosystem unchanged
// and the other way round. Keys: base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight.

import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from './config';
import { LINEAR_NAMES, linearModule, linearShape, type LinearName } from './weights';
import { destroyLoraAdapter, validateLoraConfig, type LoraAdapter, type LoraConfig, type LoraPair } from './lora';
import { writeSafetensors, type TensorReader } from './safetensors';

export function peftKey(layer: number, name: LinearName, which: 'A' | 'B'): string {
  return `base_model.model.${linearModule(layer, name)}.lora_${which}.weight`;
}

/** adapter_config.json for an adapter of this model. */
export function peftAdapterConfig(adapter: LoraAdapter, baseModel: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: adapter.config.r,
    lora_alpha: adapter.config.alpha,
    lora_dropout: adapter.config.dropout,
    target_modules: adapter.config.targets.map((t) => `${t}_proj`),
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
}

/** The adapter's two files, ready to save. Reads the tensors back from the GPU. */
export async function exportPeftAdapter(adapter: LoraAdapter, baseModel: string): Promise<{ config: string; weights: Uint8Array }> {
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (let i = 0; i < adapter.layers.length; i++) {
    for (const name of LINEAR_NAMES) {
      const pair = adapter.layers[i][name];
      if (!pair) continue;
      tensors[peftKey(i, name, 'A')] = { dtype: 'F32', shape: [...pair.A.shape], data: (await pair.A.read()) as Float32Array };
      tensors[peftKey(i, name, 'B')] = { dtype: 'F32', shape: [...pair.B.shape], data: (await pair.B.read()) as Float32Array };
    }
  }
  return {
    config: `${JSON.stringify(peftAdapterConfig(adapter, baseModel), null, 2)}\n`,
    weights: writeSafetensors(tensors, { format: 'pt' }),
  };
}

/** Parse adapter_config.json; refuses options this engine does not implement, naming them. */
export function parsePeftConfig(json: unknown, file = 'adapter_config.json'): LoraConfig {
  const fail = (m: string): never => {
    throw new Error(`${file}: ${m}`);
  };
  if (!json || typeof json !== 'object') fail('expected a JSON object.');
  const c = json as Record<string, unknown>;
  if (c.peft_type !== 'LORA') fail(`peft_type is ${JSON.stringify(c.peft_type)}; only LORA adapters are supported.`);
  if (c.use_dora) fail('use_dora is true; DoRA adapters are not supported.');
  if (c.fan_in_fan_out) fail('fan_in_fan_out is true; that layout is for GPT-2 style Conv1D weights, not Llama-family models.');
  if (c.bias !== undefined && c.bias !== 'none') fail(`bias is "${c.bias}"; only "none" is supported.`);
  if (c.rank_pattern && Object.keys(c.rank_pattern as object).length) fail('rank_pattern is set; per-module ranks are not supported.');
  if (c.alpha_pattern && Object.keys(c.alpha_pattern as object).length) fail('alpha_pattern is set; per-module alphas are not supported.');
  if (c.layers_to_transform !== null && c.layers_to_transform !== undefined) fail('layers_to_transform is set; adapters on a subset of layers are not supported.');
  if (c.modules_to_save && (c.modules_to_save as unknown[]).length) fail('modules_to_save is set; fully trained extra modules are not supported.');
  const r = Number(c.r);
  const alpha = Number(c.lora_alpha ?? r);
  let targets: LinearName[];
  const tm = c.target_modules;
  if (tm === 'all-linear') targets = [...LINEAR_NAMES];
  else if (Array.isArray(tm)) {
    targets = tm.map((m) => {
      const name = String(m).replace(/_proj$/, '') as LinearName;
      if (!LINEAR_NAMES.includes(name)) fail(`target_modules has "${m}"; supported: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj.`);
      return name;
    });
  } else targets = fail(`target_modules must be a list of module names or "all-linear", got ${JSON.stringify(tm)}.`);
  const config: LoraConfig = { r, alpha, dropout: Number(c.lora_dropout ?? 0), targets, seed: 0 };
  try {
    validateLoraConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  if (c.use_rslora) fail('use_rslora is true; rank-stabilised scaling (alpha/√r) is not supported.');
  return config;
}

/** Load a PEFT adapter for `cfg` onto the GPU; every tensor is checked for presence and shape. */
export async function importPeftAdapter(gpu: Gpu, cfg: ModelConfig, configJson: unknown, reader: TensorReader): Promise<LoraAdapter> {
  const config = parsePeftConfig(configJson);
  const adapter: LoraAdapter = { config, scale: config.alpha / config.r, layers: [] };
  try {
    for (let i = 0; i < cfg.nLayers; i++) {
      const pairs: Partial<Record<LinearName, LoraPair>> = {};
      adapter.layers.push(pairs);
      for (const name of config.targets) {
        const [out, inp] = linearShape(cfg, name);
        const load = async (which: 'A' | 'B', shape: number[]) => {
          const key = peftKey(i, name, which);
          if (!reader.has(key)) throw new Error(`adapter_model.safetensors has no tensor "${key}". Was this adapter trained for another model?`);
          const got = reader.info(key).shape;
          if (got.length !== 2 || got[0] !== shape[0] || got[1] !== shape[1]) {
            throw new Error(`Adapter tensor "${key}" is [${got.join(', ')}] but this model needs [${shape.join(', ')}]. Was this adapter trained for another model?`);
          }
          return gpu.upload(await reader.readFloat32(key), shape, 'f32', key);
        };
        const A = await load('A', [config.r, inp]);
        const B = await load('B', [out, config.r]);
        pairs[name] = { A, B };
      }
    }
  } catch (e) {
    destroyLoraAdapter(adapter);
    throw e;
  }
  return adapter;
}
