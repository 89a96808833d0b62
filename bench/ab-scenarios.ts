// The small-model speed issue's fixed scenarios (bench/profile.ts, organism shape), timed with only
// the engine calls that the "before" commit (5b3fdd1) and main share, so that this one file
// runs in a worktree of that commit and in main and their figures compare:
//   lora-step   LoRA r 16 on all 7 linear layers, dropout 0.05, batch 16 × 64, AdamW
//   full-step   full fine-tuning (embeddings included), batch 32 × 66, AdamW
//   generate    greedy decoding of 64 prompts (lengths 24–40), 9 new tokens: prefill and decode
// Medians of --runs timed runs after one untimed run, and the process's CPU time per step (Node).
// Prints one JSON document; asserts nothing. Node, SwiftShader or whatever adapter Dawn finds.
//
//   git worktree add /tmp/before 5b3fdd1 && cp bench/ab-scenarios.ts bench/random-weights.ts bench/timing.ts /tmp/before/bench/
//   (cd /tmp/before && node --import ./src/cli/register.mjs bench/ab-scenarios.ts)   # then the same in main

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
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

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer, got ${values.runs}.`);

const ORGANISM = { architectures: ['LlamaForCausalLM'], hidden_size: 128, intermediate_size: 344, num_attention_heads: 4, num_key_value_heads: 4, num_hidden_layers: 4, vocab_size: 2048, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: true, max_position_embeddings: 512, hidden_act: 'silu' };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Where the two commits differ: how an adapter is attached, and what the step's loss reads (every
// position's target then; the learned positions' rows and targets now).
type AnyModel = DecoderModel & { attach?: (a: unknown) => void; adapter: unknown };
function attachLora(model: AnyModel, adapter: unknown): void {
  if (typeof model.attach === 'function') model.attach({ kind: 'lora', adapter });
  else (model as { adapter: unknown }).adapter = adapter;
}
async function lossTargets(gpu: Gpu, N: number, targets: Uint32Array): Promise<unknown> {
  let batch: Record<string, unknown> = {};
  try {
    batch = await import('../src/model/batch');
  } catch {
    // 5b3fdd1 has no src/model/batch.ts: the step takes every position's target.
  }
  if (!('uploadLearned' in batch)) return gpu.upload(targets, [N], 'u32', 'targets');
  return { rows: gpu.upload(Uint32Array.from({ length: N }, (_, i) => i), [N], 'u32', 'rows'), targets: gpu.upload(targets, [N], 'u32', 'targets') };
}

async function training(gpu: Gpu, cfg: ModelConfig, lora: boolean, B: number, T: number) {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1))) as AnyModel;
  if (lora) attachLora(model, createLoraAdapter(gpu, cfg, { r: 16, alpha: 32, dropout: 0.05, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 }));
  const set = createGradients(gpu, model, lora ? { kind: 'lora' } : ({ kind: 'full', trainEmbeddings: true } as never));
  const opt = new AdamW(gpu, set, DEFAULT_OPTIMIZER);
  const rng = new Rng(2);
  const N = B * T;
  const ids = Uint32Array.from({ length: N }, () => rng.int(cfg.vocabSize));
  const targets = Uint32Array.from({ length: N }, () => rng.int(cfg.vocabSize));
  const inputs = model.uploadInputs(B, T, ids, Uint32Array.from({ length: N }, (_, i) => i % T), null);
  const learned = await lossTargets(gpu, N, targets);
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
    if (r > 0) { // the first run compiles
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
    }
  }
  const ms = median(times);
  return { scenario: lora ? 'lora-step' : 'full-step', batch: `${B}×${T}`, stepMs: Math.round(ms), tokensPerSec: Math.round((N * 1000) / ms), cpuMsPerStep: Math.round(median(cpu)) };
}

async function generation(gpu: Gpu, cfg: ModelConfig, prompts: number, newTokens: number) {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1)));
  const batch = randomPrompts(cfg, prompts);
  const promptTokens = batch.reduce((a, p) => a + p.length, 0);
  const { prefillMs, decodeMs } = await timeGeneration(gpu, model, batch, newTokens, runs);
  return { scenario: 'generate', prompts, promptTokens, newTokens, prefillMs: Math.round(prefillMs), prefillTokensPerSec: Math.round((promptTokens * 1000) / prefillMs), decodeMsPerStep: Math.round(decodeMs), decodeTokensPerSec: Math.round((prompts * 1000) / decodeMs) };
}

const gpu = await Gpu.create();
const cfg = parseModelConfig(ORGANISM);
const records = [await training(gpu, cfg, true, 16, 64), await training(gpu, cfg, false, 32, 66), await generation(gpu, cfg, 64, 9)];
console.log(JSON.stringify({ bench: 'ab-scenarios', adapter: gpu.info.adapter, runs, records }, null, 2));
gpu.destroy();
process.exit(0);
