// LoRA adapters: for a frozen linear y = x·Wᵀ the adapter adds s·(x·Aᵀ)·Bᵀ, s = alpha/r,
// A (R,in) Kaiming-uniform, B (out,R) zeros (PEFT's init, so a fresh adapter changes nothing).
// Shapes: R rank, N rows (B·T).

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { Rng } from '../util/rng';
import type { ModelConfig } from './config';
import { LINEAR_NAMES, linearShape, type LinearName } from './weights';

export interface LoraConfig {
  r: number; // rank R, 16 in the paper's LoRA option
  alpha: number; // scale numerator: s = alpha / r (32 in the paper's option)
  dropout: number; // dropout on the adapter's input, 0.05 in the paper's option
  targets: LinearName[]; // which linear layers get adapters; default all seven
  seed: number; // initialisation seed of A
}

export const DEFAULT_LORA: LoraConfig = {
  r: 16,
  alpha: 32,
  dropout: 0.05,
  targets: [...LINEAR_NAMES],
  seed: 0,
};

export interface LoraPair {
  A: Tensor; // (R,in)
  B: Tensor; // (out,R)
}

export interface LoraAdapter {
  config: LoraConfig;
  scale: number; // alpha / r
  layers: Partial<Record<LinearName, LoraPair>>[]; // per decoder layer, per target
}

export function validateLoraConfig(c: LoraConfig): void {
  const bad = (field: string, why: string) => new Error(`LoRA ${field} ${why}.`);
  if (!Number.isInteger(c.r) || c.r < 1) throw bad('r (rank)', `must be a positive integer, got ${c.r}`);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha) || !(c.alpha > 0)) throw bad('alpha', `must be a positive number, got ${JSON.stringify(c.alpha)}`);
  if (typeof c.dropout !== 'number' || !(c.dropout >= 0 && c.dropout < 1)) throw bad('dropout', `must be a number in [0, 1), got ${JSON.stringify(c.dropout)}`);
  if (!c.targets.length) throw bad('targets', 'must name at least one of q, k, v, o, gate, up, down');
  for (const t of c.targets) {
    if (!(LINEAR_NAMES as readonly string[]).includes(t)) throw bad('targets', `has "${t}"; use q, k, v, o, gate, up, down`);
  }
}

/** A fresh adapter: A ~ U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5, as PEFT), B = 0. */
export function createLoraAdapter(gpu: Gpu, cfg: ModelConfig, config: LoraConfig): LoraAdapter {
  validateLoraConfig(config);
  const rng = new Rng(config.seed);
  const layers: Partial<Record<LinearName, LoraPair>>[] = [];
  for (let i = 0; i < cfg.nLayers; i++) {
    const pairs: Partial<Record<LinearName, LoraPair>> = {};
    for (const name of config.targets) {
      const [out, inp] = linearShape(cfg, name);
      const bound = 1 / Math.sqrt(inp);
      pairs[name] = {
        A: gpu.upload(rng.uniformArray(config.r * inp, -bound, bound), [config.r, inp], 'f32', `lora.${i}.${name}.A`),
        B: gpu.zeros([out, config.r], 'f32', `lora.${i}.${name}.B`),
      };
    }
    layers.push(pairs);
  }
  return { config, scale: config.alpha / config.r, layers };
}

/** Every adapter tensor, named by layer, target and A/B, in a stable order. */
export function loraParameters(adapter: LoraAdapter): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  adapter.layers.forEach((pairs, i) => {
    for (const name of LINEAR_NAMES) {
      const pair = pairs[name];
      if (!pair) continue;
      out.push([`${i}.${name}.A`, pair.A], [`${i}.${name}.B`, pair.B]);
    }
  });
  return out;
}

export function destroyLoraAdapter(adapter: LoraAdapter): void {
  for (const [, t] of loraParameters(adapter)) t.destroy();
}
