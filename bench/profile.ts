// `npm run bench -- --profile`: where the time of a training step and of a generation step goes,
// for the embedded demo model's shape (the "organism": Llama, hidden 128, 4 layers, 4/4 heads,
// FFN 344, vocabulary 2,048, tied embeddings). Scenarios:
//   lora-step      LoRA r 16 on all 7 linear layers, dropout 0.05, batch 16 × 64, AdamW
//   full-step      full fine-tuning (embeddings included), batch 32 × 66, AdamW
//   generate       greedy decoding of 64 prompts (lengths 24–40): the prefill and decode steps
// Each reports the wall time of unprofiled runs (median; in Node also the process CPU time per
// step, steadier than wall time on a shared machine), then one profiled run: dispatches,
// submits, GPU time per op family with its share, and GFLOP/s per matmul shape. Figures only.

import type { Gpu } from '../src/gpu/gpu';
import { parseModelConfig, type ModelConfig } from '../src/model/config';
import { generate } from '../src/model/generate';
import { createLoraAdapter, destroyLoraAdapter } from '../src/model/lora';
import { DecoderModel } from '../src/model/model';
import { loadDecoderWeights } from '../src/model/weights';
import { createGradients, destroyGradients, zeroGradients, type TrainMode } from '../src/train/grads';
import { AdamW, DEFAULT_OPTIMIZER } from '../src/train/optimizer';
import { microBatchStep } from '../src/train/step';
import { Rng } from '../src/util/rng';
import { DispatchProfiler, type DispatchSample } from './dispatch-profiler';
import { randomReader } from './random-weights';
import type { BenchRecord } from './suite';
import { median, randomPrompts, timeGeneration } from './timing';

export const ORGANISM = {
  architectures: ['LlamaForCausalLM'],
  hidden_size: 128,
  intermediate_size: 344,
  num_attention_heads: 4,
  num_key_value_heads: 4,
  num_hidden_layers: 4,
  vocab_size: 2048,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  max_position_embeddings: 512,
  hidden_act: 'silu',
};

const LORA_RANK = 16;

/** The op family of a dispatch, from its entry point (and, for matmuls, its shape). */
function family(s: DispatchSample, cfg: ModelConfig, rank: number): string {
  const k = s.kernel;
  if (k.startsWith('matmul') || k.startsWith('gemv')) {
    const [M, N, K] = s.params ? [s.params[0], s.params[1], s.params[2]] : [0, 0, 0];
    if (M === cfg.vocabSize || N === cfg.vocabSize) return 'matmul lm_head';
    if (rank && Math.min(M, N, K) <= rank) return 'matmul lora';
    return 'matmul base';
  }
  const prefixes: [string, string][] = [
    ['attention_decode', 'attention decode'],
    ['attention_backward', 'attention backward'],
    ['attention', 'attention forward'],
    ['kv_cache', 'kv cache'],
    ['column_sum', 'matmul bias'],
    ['rmsnorm', 'rmsnorm'],
    ['dropout', 'lora dropout'],
    ['ce_', 'cross-entropy'],
    ['adamw', 'adamw'],
    ['sumsq', 'adamw'],
    ['clip', 'adamw'],
    ['accumulate', 'residual/accumulate'],
    ['add', 'residual/accumulate'],
    ['rope', 'rope'],
    ['swiglu', 'swiglu'],
    ['embedding', 'embedding'],
    ['sample', 'sampling'],
  ];
  return prefixes.find(([p]) => k.startsWith(p))?.[1] ?? k;
}

interface Summary {
  dispatches: number;
  gpuMs: number; // sum of the dispatches' own times
  families: { family: string; ms: number; share: number; dispatches: number }[];
  matmulShapes: { kernel: string; shape: string; count: number; msEach: number; gflops: number }[];
}

function summarise(samples: DispatchSample[], cfg: ModelConfig, rank: number, perRun = 1): Summary {
  const total = samples.reduce((a, s) => a + s.ms, 0);
  const fam = new Map<string, { ms: number; n: number }>();
  const shapes = new Map<string, { kernel: string; shape: string; count: number; ms: number; flops: number }>();
  for (const s of samples) {
    const f = family(s, cfg, rank);
    const e = fam.get(f) ?? { ms: 0, n: 0 };
    e.ms += s.ms;
    e.n++;
    fam.set(f, e);
    if (f.startsWith('matmul') && f !== 'matmul bias' && s.params) {
      const [M, N, K] = [s.params[0], s.params[1], s.params[2]];
      const batch = s.workgroups[2];
      const shape = `${batch > 1 ? `${batch}×` : ''}M${M} N${N} K${K}`;
      const key = `${s.kernel}|${shape}`;
      const e2 = shapes.get(key) ?? { kernel: s.kernel, shape, count: 0, ms: 0, flops: 0 };
      e2.count++;
      e2.ms += s.ms;
      e2.flops += 2 * M * N * K * batch;
      shapes.set(key, e2);
    }
  }
  return {
    dispatches: samples.length / perRun,
    gpuMs: round(total / perRun),
    families: [...fam.entries()]
      .map(([f, e]) => ({ family: f, ms: round(e.ms / perRun), share: round(e.ms / total), dispatches: e.n / perRun }))
      .sort((a, b) => b.ms - a.ms),
    matmulShapes: [...shapes.values()]
      .map((e) => ({ kernel: e.kernel, shape: e.shape, count: e.count / perRun, msEach: round(e.ms / e.count), gflops: round(e.flops / e.ms / 1e6) }))
      .sort((a, b) => b.msEach * b.count - a.msEach * a.count),
  };
}

/** The process's CPU time in ms (Node: every thread, SwiftShader's included); null in a browser. */
function cpuMs(): number | null {
  const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : null;
}

/**
 * Median wall time of `runs` runs, and (Node) the median CPU time the process spent on each: on
 * a machine shared with other work the wall time swings with the load, the CPU time much less.
 */
async function wallMs(gpu: Gpu, fn: () => void, runs: number): Promise<{ wall: number; cpu: number | null }> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    await gpu.sync();
    const t0 = performance.now();
    const c0 = cpuMs();
    fn();
    await gpu.sync();
    times.push(performance.now() - t0);
    const c1 = cpuMs();
    if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
  }
  return { wall: median(times), cpu: cpu.length ? median(cpu) : null };
}

async function profileTraining(gpu: Gpu, cfg: ModelConfig, mode: TrainMode, B: number, T: number, runs: number): Promise<BenchRecord> {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1)));
  const lora = mode.kind === 'lora';
  if (lora) model.attach({ kind: 'lora', adapter: createLoraAdapter(gpu, cfg, { r: LORA_RANK, alpha: 2 * LORA_RANK, dropout: 0.05, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 }) });
  const set = createGradients(gpu, model, mode);
  const opt = new AdamW(gpu, set, DEFAULT_OPTIMIZER);
  const rng = new Rng(2);
  const ids = Uint32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize));
  const positions = Uint32Array.from({ length: B * T }, (_, i) => i % T);
  const learned = { rows: gpu.upload(Uint32Array.from({ length: B * T }, (_, i) => i), [B * T], 'u32', 'rows'), targets: gpu.upload(Uint32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize)), [B * T], 'u32', 'targets') };
  const inputs = model.uploadInputs(B, T, ids, positions, null);
  const loss = gpu.zeros([2], 'f32', 'loss');
  let seed = 0;
  const step = () => {
    zeroGradients(gpu, set);
    microBatchStep(gpu, model, inputs, learned, set, B * T, loss, seed++);
    opt.update(1e-4);
  };
  await wallMs(gpu, step, 1); // compile
  const { wall: ms, cpu } = await wallMs(gpu, step, runs);
  const profiler = new DispatchProfiler(gpu);
  await gpu.sync();
  const t0 = performance.now();
  profiler.start();
  step();
  const { samples, submits } = await profiler.stop();
  const profiledMs = performance.now() - t0;
  profiler.destroy();
  for (const t of [learned.rows, learned.targets, loss, inputs.ids, inputs.positions]) t.destroy();
  opt.destroy();
  destroyGradients(set);
  if (model.adapter) destroyLoraAdapter(model.adapter);
  model.destroy();
  return {
    scenario: lora ? 'lora-step' : 'full-step',
    batch: `${B}×${T}`,
    stepMs: round(ms),
    tokensPerSec: round((B * T * 1000) / ms),
    ...(cpu === null ? {} : { cpuMsPerStep: round(cpu), tokensPerCpuSec: round((B * T * 1000) / cpu) }), // Node: process CPU time
    profiledStepMs: round(profiledMs), // wall time of the profiled run (one pass per dispatch)
    submits,
    ...summarise(samples, cfg, lora ? LORA_RANK : 0),
  };
}

async function profileGeneration(gpu: Gpu, cfg: ModelConfig, prompts: number, newTokens: number, runs: number): Promise<BenchRecord> {
  const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1)));
  const batch = randomPrompts(cfg, prompts);
  const promptTokens = batch.reduce((a, p) => a + p.length, 0);
  const options = { maxNewTokens: newTokens, sampling: { temperature: 0 }, eosIds: [] as number[] };
  const { prefillMs, decodeMs } = await timeGeneration(gpu, model, batch, newTokens, runs);
  const profiler = new DispatchProfiler(gpu);
  await gpu.sync();
  profiler.start();
  let submitsBefore = 0;
  await generate(model, batch, {
    ...options,
    onStep: () => {
      profiler.tag++;
    },
  });
  const { samples, submits } = await profiler.stop();
  submitsBefore = submits;
  profiler.destroy();
  model.destroy();
  const decodeSamples = samples.filter((s) => s.tag >= 1 && s.tag < newTokens);
  const decodeSummary = summarise(decodeSamples, cfg, 0, newTokens - 1);
  // Attention of a decode step, whichever kernel ran it (the decode or the row kernel).
  const attentionShare = decodeSummary.families.filter((e) => e.family.startsWith('attention')).reduce((a, e) => a + e.share, 0);
  return {
    scenario: 'generate',
    prompts,
    promptTokens,
    newTokens,
    prefillMs: round(prefillMs),
    prefillTokensPerSec: round((promptTokens * 1000) / prefillMs),
    decodeMsPerStep: round(decodeMs),
    decodeTokensPerSec: round((prompts * 1000) / decodeMs),
    attentionShareOfDecodeStep: round(attentionShare),
    submits: submitsBefore,
    prefill: summarise(samples.filter((s) => s.tag === 0), cfg, 0),
    decodeStep: decodeSummary,
  };
}

export interface ProfileOptions {
  runs?: number; // unprofiled runs for the wall times (median), default 3
  scenario?: string; // run only scenarios whose name contains this ('lora', 'full', 'generate')
  log?: (m: string) => void;
}

export async function benchProfile(gpu: Gpu, options: ProfileOptions = {}): Promise<BenchRecord[]> {
  const runs = options.runs ?? 3;
  const cfg = parseModelConfig(ORGANISM);
  const records: BenchRecord[] = [];
  const wanted = (name: string) => !options.scenario || name.includes(options.scenario);
  if (wanted('lora-step')) {
    options.log?.('profile: LoRA step');
    records.push(await profileTraining(gpu, cfg, { kind: 'lora' }, 16, 64, runs));
  }
  if (wanted('full-step')) {
    options.log?.('profile: full fine-tuning step');
    records.push(await profileTraining(gpu, cfg, { kind: 'full', trainEmbeddings: true }, 32, 66, runs));
  }
  if (wanted('generate')) {
    options.log?.('profile: generation');
    records.push(await profileGeneration(gpu, cfg, 64, 9, runs));
  }
  return records.map((r) => ({ suite: 'profile', model: 'organism', ...r }));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
