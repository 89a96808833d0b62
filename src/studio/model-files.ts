// The files around a loaded model that the UI and the CLI both handle: a PEFT adapter read from a
// ModelSource, and the files a training run produces (a PEFT adapter for LoRA, a Hugging Face model
// folder for full fine-tuning). Only bytes come back; each host decides where they are saved.

import type { Gpu } from '../gpu/gpu';
import type { ModelConfig } from '../model/config';
import { exportHfModel } from '../model/export';
import type { LoadedModel } from './load-model';
import type { LoraAdapter } from '../model/lora';
import type { Adaptation } from '../model/model';
import { exportPeftAdapter, importPeftAdapter } from '../model/peft';
import { openSafetensors } from '../model/safetensors';
import type { ModelSource } from '../storage/model-source';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** Tokenizer files a fully fine-tuned model folder needs beside its weights, copied when present. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'chat_template.jinja'] as const;

/** Load a PEFT adapter folder (adapter_config.json + adapter_model.safetensors) for a model of `cfg`. */
export async function loadPeftAdapter(gpu: Gpu, cfg: ModelConfig, source: ModelSource): Promise<LoraAdapter> {
  for (const name of [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE]) {
    if (!(await source.has(name))) throw new Error(`${source.id} has no ${name}; an adapter folder holds ${ADAPTER_CONFIG_FILE} and ${ADAPTER_WEIGHTS_FILE} (PEFT layout).`);
  }
  const configJson = await source.json(ADAPTER_CONFIG_FILE);
  const reader = await openSafetensors(await source.open(ADAPTER_WEIGHTS_FILE));
  try {
    return await importPeftAdapter(gpu, cfg, configJson, reader);
  } catch (e) {
    throw new Error(`${source.id}: ${(e as Error).message}`, { cause: e });
  } finally {
    await reader.close();
  }
}

export interface TrainedFilesOptions {
  baseModel: string; // written into adapter_config.json (base_model_name_or_path)
  dtype: 'F32' | 'BF16'; // full fine-tuning weights; F32 keeps updates smaller than a BF16 step
}

/**
 * The output files of what a run trained, by file name: a PEFT adapter, or a Hugging Face model
 * folder for a fully fine-tuned copy. `source` is where the base model came from.
 */
export async function trainedModelFiles(loaded: LoadedModel, source: ModelSource, trained: Adaptation, options: TrainedFilesOptions): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const encoder = new TextEncoder();
  if (trained.kind === 'lora') {
    const adapter = await exportPeftAdapter(trained.adapter, options.baseModel);
    files.set(ADAPTER_CONFIG_FILE, encoder.encode(adapter.config));
    files.set(ADAPTER_WEIGHTS_FILE, adapter.weights);
    return files;
  }
  const originalConfig = await source.json<Record<string, unknown>>('config.json');
  const hf = await exportHfModel(loaded.cfg, trained.weights, originalConfig, options.dtype);
  files.set('config.json', encoder.encode(hf['config.json']));
  files.set('model.safetensors', hf['model.safetensors']);
  for (const name of TOKENIZER_FILES) {
    if (!(await source.has(name))) continue;
    const file = await source.open(name);
    try {
      files.set(name, (await file.read(0, file.size)).slice());
    } finally {
      await file.close?.();
    }
  }
  return files;
}
