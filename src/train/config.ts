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
  logEvery: 1,
};

/** The paper's full fine-tuning defaults (AdamW lr 2e-6, cosine to half, warm-up 10%, 1 epoch). */
export const PAPER_FULL: Partial<TrainConfig> = { method: 'full', lr: 2e-6, maxLength: 1024 };
/** The paper's LoRA option: r 16, alpha 32, all linear layers, dropout 0.05. */
export const PAPER_LORA: Partial<TrainConfig> = { method: 'lora', lr: 2e-4 };

type Overrides = Partial<Omit<TrainConfig, 'lora' | 'optimizer'>> & { lora?: Partial<LoraConfig>; optimizer?: Partial<OptimizerConfig> };

function rejectUnknown(given: object, known: object, where: string): void {
  const unknown = Object.keys(given).filter((k) => !(k in known));
  if (unknown.length) throw new Error(`Unknown ${where} option${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}. Known: ${Object.keys(known).join(', ')}.`);
}

/** Defaults, then each override in order; validated. */
export function trainConfig(...overrides: Overrides[]): TrainConfig {
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

export function validateTrainConfig(c: TrainConfig): void {
  const int = (name: keyof TrainConfig, min: number) => {
    const v = c[name] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`Training option ${name} must be an integer ≥ ${min}, got ${v}.`);
  };
  if (c.method !== 'lora' && c.method !== 'full') throw new Error(`Training option method must be "lora" or "full", got ${JSON.stringify(c.method)}.`);
  int('epochs', 1);
  int('batchSize', 1);
  int('gradAccumulation', 1);
  int('maxLength', 2);
  int('logEvery', 1);
  if (!(c.lr > 0)) throw new Error(`Training option lr must be positive, got ${c.lr}.`);
  if (!(c.warmupRatio >= 0 && c.warmupRatio < 1)) throw new Error(`Training option warmupRatio must be in [0, 1), got ${c.warmupRatio}.`);
  if (!(c.minLrRatio >= 0 && c.minLrRatio <= 1)) throw new Error(`Training option minLrRatio must be in [0, 1], got ${c.minLrRatio}.`);
  if (!(c.optimizer.maxGradNorm >= 0)) throw new Error(`Optimizer maxGradNorm must be ≥ 0 (0 = no clipping), got ${c.optimizer.maxGradNorm}.`);
  if (c.method === 'lora') validateLoraConfig(c.lora);
}
