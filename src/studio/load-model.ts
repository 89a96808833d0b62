// Load a whole model from a ModelSource: config, tokenizer and chat template, weights on the GPU,
// and a fingerprint of the weights (training runs record it, so a run never resumes on another
// model). Each tensor is checked against the device's binding limit before it is allocated.

import type { Gpu } from '../gpu/gpu';
import { checkpointOpener, type ModelSource } from '../storage/model-source';
import { ChatTemplate } from '../text/chat-template';
import { TextTokenizer } from '../text/tokenizer';
import { parameterCount, parseModelConfig, type ModelConfig } from '../model/config';
import { DecoderModel } from '../model/model';
import { openCheckpoint, type TensorReader } from '../model/safetensors';
import { Fingerprint } from '../util/hash';
import { loadDecoderWeights, type LoadProgress } from '../model/weights';

export interface LoadedModel {
  id: string; // the source's id, e.g. 'hf:HuggingFaceTB/SmolLM2-135M-Instruct@main'
  cfg: ModelConfig;
  model: DecoderModel;
  tokenizer: TextTokenizer;
  template: ChatTemplate | null; // null when the model has no chat template (a base model)
  parameters: number;
  fingerprint: string; // of config.json and every weight as loaded (f32 bits)
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
  if (tokenizer.vocabSize > cfg.vocabSize) {
    throw new Error(
      `${source.id}: tokenizer.json has ids up to ${tokenizer.vocabSize - 1} (${tokenizer.vocabSize} tokens) but config.json's vocab_size is ${cfg.vocabSize}, ` +
        'so some tokens have no embedding. The tokenizer and the weights do not belong together: use the files of one model.',
    );
  }
  const template = tokenizer.chatTemplate ? ChatTemplate.fromTokenizer(tokenizer) : null;
  const reader = await openCheckpoint(checkpointOpener(source));
  const fingerprint = new Fingerprint().addText(JSON.stringify(cfg));
  const hashing: TensorReader = {
    names: reader.names,
    metadata: reader.metadata,
    has: (name) => reader.has(name),
    info: (name) => reader.info(name),
    read: (name) => reader.read(name),
    readInt32: (name) => reader.readInt32(name),
    close: () => reader.close(),
    async readFloat32(name) {
      const data = await reader.readFloat32(name);
      fingerprint.addText(name).addFloat32(data);
      return data;
    },
  };
  try {
    const weights = await loadDecoderWeights(gpu, cfg, hashing, options.onProgress, options.signal);
    return { id: source.id, cfg, model: new DecoderModel(gpu, cfg, weights), tokenizer, template, parameters: parameterCount(cfg).total, fingerprint: fingerprint.digest() };
  } finally {
    await reader.close();
  }
}
