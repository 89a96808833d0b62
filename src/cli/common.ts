// What every CLI command shares: the output streams, the GPU (created on first use, so usage
// errors never wait for Dawn), loading a model folder with an optional adapter, reading datasets.

import { readFileSync } from 'node:fs';
import { acquireGpu, type Gpu } from '../studio/device';
import { loadModel, type LoadedModel } from '../studio/load-model';
import { NodeFolderModelSource } from '../storage/model-source';
import { loadPeftAdapter, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../studio/model-files';
import { parseDataset, type ChatExample } from '../text/datasets';
import { existingFile, existingFolder } from './args';

export interface CliContext {
  gpu(): Promise<Gpu>;
  out(line: string): void; // stdout: results (JSONL)
  log(line: string): void; // stderr: progress, reports, warnings
  signal: AbortSignal; // fires on the first Ctrl-C
}

export function createContext(signal: AbortSignal): CliContext & { release(): void } {
  let gpu: Promise<Gpu> | null = null;
  return {
    gpu: () => (gpu ??= acquireGpu()),
    out: (line) => void process.stdout.write(`${line}\n`),
    log: (line) => void process.stderr.write(`${line}\n`),
    signal,
    release: () => {
      // Dawn keeps the event loop alive until its device is destroyed.
      void gpu?.then((g) => g.destroy()).catch(() => undefined);
    },
  };
}

export const MODEL_FOLDER_FILES = ['config.json', 'tokenizer.json'];

export interface OpenedModel {
  loaded: LoadedModel;
  source: NodeFolderModelSource;
}

/** Check the folders exist before any GPU work; a missing folder is a usage error. */
export function checkModelFolders(modelDir: string, adapterDir?: string): void {
  existingFolder('model', modelDir, MODEL_FOLDER_FILES, 'a Hugging Face model (config.json, tokenizer.json, model.safetensors)');
  if (adapterDir !== undefined) existingFolder('adapter', adapterDir, [ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE], 'a PEFT adapter');
}

/** Load the model folder onto the GPU, with a PEFT adapter when given. */
/** config.json's _name_or_path of a model folder, or null. */
export function modelName(modelDir: string): string | null {
  const config = JSON.parse(readFileSync(`${modelDir}/config.json`, 'utf8')) as { _name_or_path?: unknown };
  return typeof config._name_or_path === 'string' ? config._name_or_path : null;
}

export async function openModel(ctx: CliContext, modelDir: string, adapterDir?: string): Promise<OpenedModel> {
  const gpu = await ctx.gpu();
  const source = new NodeFolderModelSource(modelDir);
  const t0 = performance.now();
  const loaded = await loadModel(gpu, source, { signal: ctx.signal });
  try {
    if (adapterDir !== undefined) loaded.model.attach({ kind: 'lora', adapter: await loadPeftAdapter(gpu, loaded.cfg, new NodeFolderModelSource(adapterDir)) });
  } catch (e) {
    loaded.model.destroy();
    throw e;
  }
  const { cfg } = loaded;
  const adapterNote = loaded.model.adapter ? `, LoRA adapter r=${loaded.model.adapter.config.r} from ${adapterDir}` : '';
  ctx.log(
    `model ${modelDir}: ${cfg.architecture}, ${cfg.nLayers} layers, hidden ${cfg.hidden}, vocab ${cfg.vocabSize}, ` +
      `${(loaded.parameters / 1e6).toFixed(2)}M parameters${adapterNote}; loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${gpu.info.adapter.description || gpu.info.adapter.architecture}`,
  );
  return { loaded, source };
}

/** A dataset file given with --flag, parsed into chat examples (any layout parseDataset reads). */
export function readDataset(flag: string, path: string): ChatExample[] {
  existingFile(flag, path);
  const examples = parseDataset(readFileSync(path, 'utf8'), path);
  if (!examples.length) throw new Error(`--${flag} ${path} holds no examples.`);
  return examples;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
