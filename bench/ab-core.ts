// The small-model speed issue's fixed scenarios (bench/profile.ts, organism shape), timed with only
// the engine calls that the "before" commit (5b3fdd1) and main share, so that the same files
// run in a worktree of that commit and in main and their figures compare:
//   lora-step   LoRA r 16 on all 7 linear layers, dropout 0.05, batch 16 × 64, AdamW
//   full-step   full fine-tuning (embeddings included), batch 32 × 66, AdamW
//   generate    greedy decoding of 64 prompts (lengths 24–40), 9 new tokens: prefill and decode
// Medians of `runs` timed runs after one untimed run, and the host's CPU time per step where it can
// tell (Node). Browser-safe: bench/ab-scenarios.ts runs it in Node or in Chromium (bench/page.ts).

import type { Gpu } from '../src/gpu/gpu';
import { parseModelConfig, type ModelConfig } from '../src/model/config';
import { createLoraAdapter } from '../src/model/lora';
import { DecoderModel } from '../src/model/model';
import { loadDecoderWeights } from '../src/model/weights';
import { createGradients, zeroGradients } from '../src/train/grads';
import { AdamW, DEFAULT_OPTIMIZER } from '../src/train/optimizer';
import * as step from '../src/train/step';
import { Rng } from '../src/util/rng';
import { randomReader } from './random-weights';
import { median, randomPrompts, timeGeneration } from './timing';

const ORGANISM = { architectures: ['LlamaForCausalLM'], hidden_size: 128, intermediate_size: 344, num_attention_heads: 4, num_key_value_heads: 4, num_hidden_layers: 4, vocab_size: 2048, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true, max_position_embeddings: 512, hidden_act: 'silu' };

// Where the two commits differ: how an adapter is attached, and what the step's loss reads (every
// position's target then; the learned positions' rows and targets now).
type AnyModel = DecoderModel & { attach?: (a: unknown) => void; adapter: unknown };
function attachLora(model: AnyModel, adapter: unknown): void {
  if (typeof model.attach === 'function') model.attach({ kind: 'lora', adapter });
  else (model as { adapter: unknown }).adapter = adapter;
}
function lossTargets(gpu: Gpu, N: number, targets: Uint32Array): unknown {
  // 5b3fdd1's step module exports uploadTrainingBatch, and its step takes every position's target.
  if ('uploadTrainingBatch' in step) return gpu.upload(targets, [N], 'u32', 'targets');
  return { rows: gpu.upload(Uint32Array.from({ length: N }, (_, i) => i), [N], 'u32', 'rows'), targets: gpu.upload(targets, [N], 'u32', 'targets') };
}

async function training(gpu: Gpu, cfg: ModelConfig, lora: boolean, B: number, T: number, runs: number, cpuMs: () => number | null) {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1))) as AnyModel;
  if (lora) attachLora(model, createLoraAdapter(gpu, cfg, { r: 16, alpha: 32, dropout: 0.05, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 }));
  const set = createGradients(gpu, model, lora ? { kind: 'lora' } : ({ kind: 'full', trainEmbeddings: true } as never));
  const opt = new AdamW(gpu, set, DEFAULT_OPTIMIZER);
  const rng = new Rng(2);
  const N = B * T;
  const ids = Uint32Array.from({ length: N }, () => rng.int(cfg.vocabSize));
  const targets = Uint32Array.from({ length: N }, () => rng.int(cfg.vocabSize));
  const inputs = model.uploadInputs(B, T, ids, Uint32Array.from({ length: N }, (_, i) => i % T), null);
  const learned = lossTargets(gpu, N, targets);
  const loss = gpu.zeros([2], 'f32', 'loss');
  const microBatchStep = step.microBatchStep as unknown as (...args: unknown[]) => void;
  let seed = 0;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r <= runs; r++) {
    await gpu.sync();
    const [t0, c0] = [performance.now(), cpuMs()];
    zeroGradients(gpu, set);
    microBatchStep(gpu, model, inputs, learned, set, N, loss, seed++);
    opt.update(1e-4);
    await gpu.sync();
    const c1 = cpuMs();
    if (r > 0) { // the first run compiles
      times.push(performance.now() - t0);
      if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
    }
  }
  const ms = median(times);
  return { scenario: lora ? 'lora-step' : 'full-step', batch: `${B}×${T}`, stepMs: Math.round(ms), tokensPerSec: Math.round((N * 1000) / ms), cpuMsPerStep: cpu.length ? Math.round(median(cpu)) : null };
}

async function generation(gpu: Gpu, cfg: ModelConfig, prompts: number, newTokens: number, runs: number) {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1)));
  const batch = randomPrompts(cfg, prompts);
  const promptTokens = batch.reduce((a, p) => a + p.length, 0);
  const { prefillMs, decodeMs } = await timeGeneration(gpu, model, batch, newTokens, runs);
  return { scenario: 'generate', prompts, promptTokens, newTokens, prefillMs: Math.round(prefillMs), prefillTokensPerSec: Math.round((promptTokens * 1000) / prefillMs), decodeMsPerStep: Math.round(decodeMs), decodeTokensPerSec: Math.round((prompts * 1000) / decodeMs) };
}

/** The three scenarios on a random organism-shaped model; `cpuMs` reads the host's CPU time (null where unknown). */
export async function abScenarios(gpu: Gpu, runs: number, cpuMs: () => number | null = () => null): Promise<Record<string, unknown>[]> {
  const cfg = parseModelConfig(ORGANISM);
  return [await training(gpu, cfg, true, 16, 64, runs, cpuMs), await training(gpu, cfg, false, 32, 66, runs, cpuMs), await generation(gpu, cfg, 64, 9, runs)];
}
