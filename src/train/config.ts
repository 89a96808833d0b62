// Training configuration: typed, with commented defaults; presets override only what differs;
// unknown keys are refused with an error that names them.

import { DEFAULT_LORA, validateLoraConfig, type LoraConfig } from '../model/lora';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from './optimizer';

export interface TrainConfig {
  method: 'lora' | 'full'; // LoRA adapter, or every weight (small models)
  lora: LoraConfig; // used when method is 'lora'
  trainEmbeddings: boolean; // full fine-tuning: also train the embedding (and a tied lm_head)
  epochs: number; // 1, as the paper
  batchSize: number; // 4 rows per micro-batch
  gradAccumulation: number; // 1 micro-batch per optimizer step
  maxLength: number; // 512 tokens; longer examples are truncated (and counted)
  lr: number; // 2e-4 peak learning rate (LoRA); the paper's full fine-tuning uses 2e-6
  warmupRatio: number; // 0.1 of the steps warm up linearly
  minLrRatio: number; // 0.5: cosine decay to half the peak
  optimizer: OptimizerConfig; // AdamW β1 0.9, β2 0.999, eps 1e-8, weight decay 0.01, clip 1.0
  seed: number; // 0: shuffling, LoRA init and dropout
  groupByLength: boolean; // false: batches are random draws (as HF's default); true: rows of similar length share a batch (less padding, faster)
  sortWithinStep: boolean; // false; true: a step's rows (batchSize × gradAccumulation) are sorted by length before they are cut into micro-batches: the same rows and gradient, less padding
  logEvery: number; // 1: read the loss back every n steps (one 8-byte readback)
}

export const DEFAULT_TRAIN: TrainConfig = {
  method: 'lora',
  lora: DEFAULT_LORA,
  trainEmbeddings: false,
  epochs: 1,
  batchSize: 4,
  gradAccumulation: 1,
  maxLength: 512,
  lr: 2e-4,
  warmupRatio: 0.1,
  minLrRatio: 0.5,
  optimizer: DEFAULT_OPTIMIZER,
  seed: 0,
  groupByLength: false,
  sortWithinStep: false,
  logEvery: 1,
};

/** What a field added to TrainConfig meant before it existed, so an older run's settings still compare (checkpoint.ts). */
export const TRAIN_CONFIG_BEFORE_FIELD: Partial<TrainConfig> = { groupByLength: true, sortWithinStep: false };

/** The paper's full fine-tuning defaults (AdamW lr 2e-6, cosine to half, warm-up 10%, 1 epoch). */
export const PAPER_FULL: Partial<TrainConfig> = { method: 'full', lr: 2e-6, maxLength: 1024 };
/** The paper's LoRA option: r 16, alpha 32, all linear layers, dropout 0.05. */
export const PAPER_LORA: Partial<TrainConfig> = { method: 'lora', lr: 2e-4 };

/** The paper's settings for the method the overrides name (LoRA when they name none), then the overrides. */
export function paperTrainConfig(...overrides: TrainOverrides[]): TrainConfig {
  const method = overrides.reduce<TrainConfig['method']>((m, o) => o.method ?? m, 'lora');
  return trainConfig(method === 'full' ? PAPER_FULL : PAPER_LORA, ...overrides);
}

export type TrainOverrides = Partial<Omit<TrainConfig, 'lora' | 'optimizer'>> & { lora?: Partial<LoraConfig>; optimizer?: Partial<OptimizerConfig> };

function rejectUnknown(given: object, known: object, where: string): void {
  const unknown = Object.keys(given).filter((k) => !(k in known));
  if (unknown.length) throw new Error(`Unknown ${where} option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known: ${Object.keys(known).join(', ')}.`);
}

/** Defaults, then each override in order; validated. */
export function trainConfig(...overrides: TrainOverrides[]): TrainConfig {
  let c: TrainConfig = { ...DEFAULT_TRAIN };
  for (const o of overrides) {
    rejectUnknown(o, DEFAULT_TRAIN, 'training');
    if (o.lora) rejectUnknown(o.lora, DEFAULT_LORA, 'LoRA');
    if (o.optimizer) rejectUnknown(o.optimizer, DEFAULT_OPTIMIZER, 'optimizer');
    c = { ...c, ...o, lora: { ...c.lora, ...o.lora }, optimizer: { ...c.optimizer, ...o.optimizer } } as TrainConfig;
  }
  validateTrainConfig(c);
  return c;
}

/** Every field typed and in range: settings also come from JSON files, where anything can stand. */
export function validateTrainConfig(c: TrainConfig): void {
  const show = (v: unknown) => JSON.stringify(v) ?? String(v);
  const fail = (name: string, want: string, v: unknown) => new Error(`Training option ${name} must be ${want}, got ${show(v)}.`);
  const int = (name: keyof TrainConfig, min: number) => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw fail(name, `an integer ≥ ${min}`, v);
  };
  const num = (name: string, v: unknown, ok: (x: number) => boolean, want: string) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw fail(name, want, v);
  };
  if (c.method !== 'lora' && c.method !== 'full') throw fail('method', '"lora" or "full"', c.method);
  int('epochs', 1);
  int('batchSize', 1);
  int('gradAccumulation', 1);
  int('maxLength', 2);
  int('logEvery', 1);
  int('seed', 0);
  if (typeof c.trainEmbeddings !== 'boolean') throw fail('trainEmbeddings', 'true or false', c.trainEmbeddings);
  if (typeof c.groupByLength !== 'boolean') throw fail('groupByLength', 'true or false', c.groupByLength);
  if (typeof c.sortWithinStep !== 'boolean') throw fail('sortWithinStep', 'true or false', c.sortWithinStep);
  num('lr', c.lr, (x) => x > 0, 'a positive number');
  num('warmupRatio', c.warmupRatio, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  num('minLrRatio', c.minLrRatio, (x) => x >= 0 && x <= 1, 'a number in [0, 1]');
  const o = c.optimizer;
  num('optimizer.beta1', o.beta1, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  num('optimizer.beta2', o.beta2, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  num('optimizer.eps', o.eps, (x) => x > 0, 'a positive number');
  num('optimizer.weightDecay', o.weightDecay, (x) => x >= 0, 'a number ≥ 0');
  num('optimizer.maxGradNorm', o.maxGradNorm, (x) => x >= 0, 'a number ≥ 0 (0 = no clipping)');
  if (c.method === 'lora') {
    if (!Array.isArray(c.lora.targets)) throw fail('lora.targets', 'a list such as ["q", "v"]', c.lora.targets);
    num('lora.seed', c.lora.seed, (x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0');
    validateLoraConfig(c.lora);
  }
}
