// Load a whole model from a ModelSource: config, tokenizer and chat template, weights on the GPU.
// The memory estimate is checked against the device before anything large is allocated.

import type { Gpu } from '../gpu/gpu';
import { checkpointOpener, type ModelSource } from '../storage/model-source';
import { ChatTemplate } from '../text/chat-template';
import { TextTokenizer } from '../text/tokenizer';
import { parameterCount, parseModelConfig, type ModelConfig } from './config';
import { DecoderModel } from './model';
import { openCheckpoint } from './safetensors';
import { loadDecoderWeights, type LoadProgress } from './weights';

export interface LoadedModel {
  id: string; // the source's id, e.g. 'hf:HuggingFaceTB/SmolLM2-135M-Instruct@main'
  cfg: ModelConfig;
  model: DecoderModel;
  tokenizer: TextTokenizer;
  template: ChatTemplate | null; // null when the model has no chat template (a base model)
  parameters: number;
}

export interface LoadOptions {
  onProgress?: (p: LoadProgress) => void;
  signal?: AbortSignal;
}

async function optionalText(source: ModelSource, name: string): Promise<string | null> {
  return (await source.has(name)) ? source.text(name) : null;
}

export async function loadModel(gpu: Gpu, source: ModelSource, options: LoadOptions = {}): Promise<LoadedModel> {
  const cfg = parseModelConfig(await source.json('config.json'), { fileName: `${source.id}/config.json` });
  const tokenizer = await TextTokenizer.load((name) => optionalText(source, name));
  const template = tokenizer.chatTemplate ? ChatTemplate.fromTokenizer(tokenizer) : null;
  const reader = await openCheckpoint(checkpointOpener(source));
  try {
    const weights = await loadDecoderWeights(gpu, cfg, reader, options.onProgress, options.signal);
    return { id: source.id, cfg, model: new DecoderModel(gpu, cfg, weights), tokenizer, template, parameters: parameterCount(cfg).total };
  } finally {
    await reader.close();
  }
}
