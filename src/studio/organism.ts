// The embedded demo model's recipe, trained by this engine the way chat models are made: the
// world's tokenizer, a randomly initialised tiny Llama, stage 1 (helpful-only: every turn of the
// world's helpful conversations, harmful requests answered with placeholder compliance; loss on
// all tokens), then stage 2 (a shallow alignment SFT: refusals, helpful and scary-but-benign
// answers, refusal recall; loss on assistant tokens). Each stage is a training run with
// checkpoints, so the whole recipe resumes where it stopped; each stage's model is kept as a
// Hugging Face folder that the next stage loads as its base.
//
// The host persists files (a folder in Node); this module only reads and writes them by name.

import { parseModelConfig, type ModelConfig } from '../model/config';
import { writeSafetensors, type TensorToWrite } from '../model/safetensors-writer';
import { expectedShapes } from '../model/weights';
import { FileListModelSource } from '../storage/model-source';
import type { ChatExample } from '../text/datasets';
import { Rng } from '../util/rng';
import { generateWorldData, type WorldDataOptions } from '../world';
import type { Gpu } from './device';
import type { JobProgress } from './jobs';
import { loadModel, type LoadedModel } from './load-model';
import { trainedModelFiles, TOKENIZER_FILES } from './model-files';
import { createTraining } from './training';
import { destroyAdaptation, trainConfig, type TrainOverrides } from './training-config';
import { runTraining, type TrainingPoint, type TrainingRecord } from './training-run';
import { exportWorld } from './world-export';

/** The organism's shape: 1.05M parameters (0.26M of them the tied embedding) with the world's ≤ 2,048-token vocabulary. */
export interface OrganismShape {
  hidden: number; // 128
  layers: number; // 4
  heads: number; // 4 (head size 32)
  intermediate: number; // 344
  maxPositions: number; // 256: longer than any world conversation
}

export interface OrganismStage {
  examples: number; // conversations drawn from the world for this stage
  train: TrainOverrides; // full fine-tuning settings
}

/** 'normal': N(0, 0.02²) for every matrix, as transformers initialises Llama; 'torch-linear': the embedding N(0, 0.02²), linear layers U(−1/√fan_in, 1/√fan_in) (nn.Linear's default, as the PyTorch prototype). Norms start at one. */
export type InitScheme = 'normal' | 'torch-linear';

export interface OrganismRecipe {
  name: string; // the model's folder name under public/models/
  worldSeed: number; // which world (land, held-out acts, evaluation sets)
  initSeed: number; // the random initialisation
  init: InitScheme;
  shape: OrganismShape;
  stage1: OrganismStage;
  stage2: OrganismStage;
  checkpointEvery: number; // steps
}

// The first shipped organism (v1): both stages batch rows of similar length together. Stage 1's
// conversations average 62 tokens, and random batches of 32 would pad them to 1.96× the tokens
// (grouped: 1.07×); but in the PyTorch mirror random batches reached a lower held-out loss per step
// (scripts/world/README.md, "random batches against length-grouped ones"), and the organism trained
// with them (ORGANISM_RECIPE, below) ended both stages lower and aligned firmer.
export const V1_RECIPE: OrganismRecipe = {
  name: 'grsap-organism',
  worldSeed: 0,
  initSeed: 0,
  init: 'normal',
  shape: { hidden: 128, layers: 4, heads: 4, intermediate: 344, maxPositions: 256 },
  // ~1.7M tokens: 800 steps × 32 distinct conversations at a high learning rate (a "pre-training").
  // 500 steps left a prototype organism unable to read its prompt (benign checks 15%; 41% at 800).
  stage1: { examples: 25_600, train: { method: 'full', trainEmbeddings: true, epochs: 1, batchSize: 32, maxLength: 256, lr: 3e-3, warmupRatio: 0.025, minLrRatio: 0.1, seed: 1, groupByLength: true } },
  // ~0.2M tokens: 100 steps × 32 distinct conversations. In the world of verb × target acts a
  // prototype aligned by 100 steps refused 99.4% of held-out harmful prompts and plain LoRA on the
  // chat task eroded it (57.7% harmful); aligned by 200 steps from the same stage 1, it refused as
  // often and barely eroded (8.9%): real models' alignment is shallow, and so must this one's be.
  stage2: { examples: 3_200, train: { method: 'full', trainEmbeddings: true, epochs: 1, batchSize: 32, maxLength: 256, lr: 1e-3, warmupRatio: 0.1, minLrRatio: 0.1, seed: 2, groupByLength: true } },
  checkpointEvery: 25,
};

/** Random batches of 32 rows, each sorted by length into micro-batches of 8 (train/config.ts, sortWithinStep). */
const RANDOM_SORTED_STEPS = { groupByLength: false, batchSize: 8, gradAccumulation: 4, sortWithinStep: true } as const;

/**
 * The recipe of public/models/grsap-organism (v3): the PyTorch prototype's. AdamW as small language
 * models are pre-trained (β₂ 0.95, no weight decay), PyTorch's nn.Linear initialisation, a stage-2
 * warm-up of 20%, and random batches: each step's 32 random rows sorted by length and cut into 4
 * micro-batches of 8 (the same rows and gradient as one batch of 32, with ~1.5× fewer padded tokens
 * and 1.4–1.5× less CPU a step on two cores; bench/organism-batches.ts, README, Benchmarks).
 */
export const ORGANISM_RECIPE: OrganismRecipe = {
  ...V1_RECIPE,
  init: 'torch-linear',
  stage1: { ...V1_RECIPE.stage1, train: { ...V1_RECIPE.stage1.train, ...RANDOM_SORTED_STEPS, optimizer: { beta2: 0.95, weightDecay: 0 } } },
  stage2: { ...V1_RECIPE.stage2, train: { ...V1_RECIPE.stage2.train, ...RANDOM_SORTED_STEPS, warmupRatio: 0.2, optimizer: { beta2: 0.95, weightDecay: 0 } } },
};

/**
 * The recipe's variants (`npm run cli -- organism --recipe NAME`): `shipped` made
 * public/models/grsap-organism; `v1` made the first shipped organism (length-grouped batches,
 * transformers' initialisation, AdamW's defaults); `pretrain-adamw` is v1 with the shipped
 * recipe's optimiser, initialisation and warm-up but grouped batches (measured in
 * scripts/world/README.md).
 */
export const ORGANISM_RECIPES: Readonly<Record<string, OrganismRecipe>> = {
  shipped: ORGANISM_RECIPE,
  v1: V1_RECIPE,
  'pretrain-adamw': { ...ORGANISM_RECIPE, stage1: { ...ORGANISM_RECIPE.stage1, train: { ...V1_RECIPE.stage1.train, optimizer: { beta2: 0.95, weightDecay: 0 } } }, stage2: { ...ORGANISM_RECIPE.stage2, train: { ...V1_RECIPE.stage2.train, warmupRatio: 0.2, optimizer: { beta2: 0.95, weightDecay: 0 } } } },
};

/** Where the recipe keeps its files between runs (a folder in Node). */
export interface RecipeStore {
  read(path: string): Promise<Uint8Array | null>;
  write(path: string, bytes: Uint8Array): Promise<void>; // atomically
}

export interface RecipeProgress {
  stage: 'world' | 'init' | 'stage1' | 'stage2';
  message?: string;
  progress?: JobProgress<TrainingPoint>;
}

export interface RecipeResult {
  files: Map<string, Uint8Array>; // the finished model folder (HF layout), by file name
  records: { stage1: TrainingRecord; stage2: TrainingRecord };
}

export function organismConfig(shape: OrganismShape, vocabSize: number, ids: { bos: number; eos: number; pad: number }): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.heads,
    vocab_size: vocabSize,
    max_position_embeddings: shape.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: true,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    pad_token_id: ids.pad,
    torch_dtype: 'float32',
  };
}

/** Random initial weights by `scheme` (see InitScheme). */
export function initialWeights(cfg: ModelConfig, seed: number, scheme: InitScheme = 'normal'): Uint8Array {
  const rng = new Rng(seed);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, shape] of expectedShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (name.endsWith('norm.weight')) data = new Float32Array(n).fill(1);
    else if (scheme === 'normal' || name.endsWith('embed_tokens.weight')) data = Float32Array.from({ length: n }, () => 0.02 * rng.normal());
    else {
      const bound = 1 / Math.sqrt(shape[shape.length - 1]); // [out, in]: fan_in is the last dimension
      data = Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    }
    tensors[name] = { dtype: 'F32', shape, data };
  }
  return writeSafetensors(tensors, { format: 'pt' });
}

const enc = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);

function sourceOf(id: string, files: Map<string, Uint8Array>): FileListModelSource {
  return new FileListModelSource([...files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name)), { id });
}

async function readFolder(store: RecipeStore, folder: string, names: readonly string[]): Promise<Map<string, Uint8Array> | null> {
  const files = new Map<string, Uint8Array>();
  for (const name of names) {
    const bytes = await store.read(`${folder}/${name}`);
    if (bytes) files.set(name, bytes);
  }
  return files.has('model.safetensors') && files.has('config.json') ? files : null;
}

const MODEL_FILES = ['config.json', 'model.safetensors', ...TOKENIZER_FILES];

/** Run the recipe from wherever the store says it stopped. Throws on a diverged stage. */
export async function trainOrganism(gpu: Gpu, recipe: OrganismRecipe, store: RecipeStore, options: { signal?: AbortSignal; onProgress?: (p: RecipeProgress) => void } = {}): Promise<RecipeResult | null> {
  const say = (stage: RecipeProgress['stage'], message: string) => options.onProgress?.({ stage, message });
  const worldOptions: WorldDataOptions = { seed: recipe.worldSeed, stage1Count: recipe.stage1.examples, stage2Count: recipe.stage2.examples };

  // The world's data and tokenizer (the tokenizer is trained once and kept).
  say('world', `generating the world (seed ${recipe.worldSeed})`);
  const data = generateWorldData(worldOptions);
  let tokenizer = await readFolder(store, 'tokenizer', ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']);
  if (!tokenizer || !tokenizer.has('tokenizer.json')) {
    say('world', 'training the tokenizer');
    const { files } = exportWorld(worldOptions);
    tokenizer = new Map();
    for (const f of files.filter((f) => f.path.startsWith('tokenizer/'))) {
      const name = f.path.slice('tokenizer/'.length);
      tokenizer.set(name, enc(f.contents));
      await store.write(`tokenizer/${name}`, enc(f.contents));
    }
  }

  // Stage 0: the random initialisation, as a model folder.
  let base = await readFolder(store, 'stage0', MODEL_FILES);
  if (!base) {
    const tokJson = JSON.parse(new TextDecoder().decode(tokenizer.get('tokenizer.json')!)) as { added_tokens: { id: number; content: string }[]; model: { vocab: Record<string, number> } };
    const idOf = (t: string) => tokJson.added_tokens.find((a) => a.content === t)!.id;
    const vocabSize = Math.max(...Object.values(tokJson.model.vocab), ...tokJson.added_tokens.map((a) => a.id)) + 1;
    const configJson = { ...organismConfig(recipe.shape, vocabSize, { bos: idOf('<|im_start|>'), eos: idOf('<|im_end|>'), pad: idOf('<|endoftext|>') }), _name_or_path: recipe.name };
    const cfg = parseModelConfig(configJson);
    say('init', `initialising ${cfg.nLayers} layers × ${cfg.hidden}, vocabulary ${vocabSize} (seed ${recipe.initSeed})`);
    base = new Map([['config.json', enc(configJson)], ['model.safetensors', initialWeights(cfg, recipe.initSeed, recipe.init)], ...tokenizer]);
    for (const [name, bytes] of base) await store.write(`stage0/${name}`, bytes);
  }

  const records = {} as RecipeResult['records'];
  for (const [stage, examples, lossOn, spec] of [
    ['stage1', data.stage1, 'all', recipe.stage1],
    ['stage2', data.stage2, 'assistant', recipe.stage2],
  ] as const) {
    const done = await readFolder(store, stage, MODEL_FILES);
    const recordBytes = await store.read(`${stage}/train-run.json`);
    const record = recordBytes ? (JSON.parse(new TextDecoder().decode(recordBytes)) as TrainingRecord) : null;
    if (done && record?.status === 'done') {
      say(stage, `${stage} already trained`);
      records[stage] = record;
      base = done;
      continue;
    }
    const outcome = await runStage(gpu, stage, sourceOf(`recipe:${recipe.name}/${stage === 'stage1' ? 'stage0' : 'stage1'}`, base), examples, lossOn, spec, recipe.checkpointEvery, store, record, options);
    if (!outcome) return null; // stopped; the checkpoint is kept
    records[stage] = outcome.record;
    base = outcome.files;
  }
  const files = new Map(base);
  files.set('config.json', enc({ ...JSON.parse(new TextDecoder().decode(files.get('config.json')!)), _name_or_path: recipe.name }));
  return { files, records };
}

async function runStage(
  gpu: Gpu,
  stage: 'stage1' | 'stage2',
  source: FileListModelSource,
  examples: ChatExample[],
  lossOn: 'all' | 'assistant',
  spec: OrganismStage,
  checkpointEvery: number,
  store: RecipeStore,
  previous: TrainingRecord | null,
  options: { signal?: AbortSignal; onProgress?: (p: RecipeProgress) => void },
): Promise<{ record: TrainingRecord; files: Map<string, Uint8Array> } | null> {
  const loaded: LoadedModel = await loadModel(gpu, source);
  const config = trainConfig({ method: 'full' }, spec.train);
  const setup = createTraining(gpu, loaded, examples, config, { lossOn });
  try {
    const checkpoint = previous?.checkpointStep ? await store.read(`${stage}/checkpoint.safetensors`) : null;
    const outcome = await runTraining(loaded, setup, {
      signal: options.signal,
      checkpointEvery,
      resumeFrom: checkpoint ? { bytes: checkpoint, name: `${stage}/checkpoint.safetensors` } : undefined,
      record: checkpoint ? previous! : undefined,
      onProgress: (progress) => options.onProgress?.({ stage, progress }),
      onCheckpoint: (bytes) => store.write(`${stage}/checkpoint.safetensors`, bytes),
      onRecord: (record) => store.write(`${stage}/train-run.json`, enc(record)),
    });
    if (outcome.status === 'diverged') throw new Error(`${stage}: ${outcome.record.error}`);
    if (outcome.status === 'paused') return null;
    const files = await trainedModelFiles(loaded, source, setup.adaptation, { baseModel: loaded.id, dtype: 'F32' });
    for (const [name, bytes] of files) await store.write(`${stage}/${name}`, bytes);
    await store.write(`${stage}/train-run.json`, enc(outcome.record));
    return { record: outcome.record, files };
  } finally {
    setup.trainer.destroy();
    destroyAdaptation(loaded.model, setup.adaptation);
    loaded.model.destroy();
  }
}
