// Model benchmarks: training tokens/s with the share of the adapter's measured matmul peak it
// reaches, prefill and decode tokens/s — for a SmolLM2-135M-shaped random model (30 layers,
// hidden 576, 9/3 heads, vocab 49,152) at batch 4 × 128, LoRA r=16 on all linear layers, for the
// embedded demo model's shape (the organism: hidden 128, 4 layers, 4/4 heads, vocab 2,048) at
// batch 16 × 64, and for a tiny model. Random weights: speed does not depend on their values.

import type { Gpu } from '../src/gpu/gpu';
import { parseModelConfig } from '../src/model/config';
import { trainStepFlops } from '../src/model/flops';
import { generate } from '../src/model/generate';
import { createLoraAdapter, destroyLoraAdapter } from '../src/model/lora';
import { DecoderModel } from '../src/model/model';
import { loadDecoderWeights } from '../src/model/weights';
import { createGradients, destroyGradients, zeroGradients } from '../src/train/grads';
import { AdamW, DEFAULT_OPTIMIZER } from '../src/train/optimizer';
import { microBatchStep } from '../src/train/step';
import { linearForward } from '../src/ops/linear';
import { matmulVariant } from '../src/ops/matmul';
import { Rng } from '../src/util/rng';
import { benchMatmul } from './matmul';
import { ORGANISM } from './profile';
import { randomReader } from './random-weights';
import type { BenchRecord } from './suite';

export interface ModelBenchShape {
  name: string;
  config: Record<string, unknown>; // HF config.json fields
  batch: number;
  seqLen: number;
  loraRank: number;
}

const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'],
  hidden_size: 576,
  intermediate_size: 1536,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  num_hidden_layers: 30,
  vocab_size: 49152,
  rms_norm_eps: 1e-5,
  rope_theta: 100000,
  tie_word_embeddings: true,
  max_position_embeddings: 8192,
  hidden_act: 'silu',
};

export const MODEL_SHAPES: ModelBenchShape[] = [
  { name: 'smollm2-135m-shape', config: SMOLLM2_135M, batch: 4, seqLen: 128, loraRank: 16 },
  { name: 'organism', config: ORGANISM, batch: 16, seqLen: 64, loraRank: 16 },
  {
    name: 'tiny',
    config: { ...SMOLLM2_135M, hidden_size: 64, intermediate_size: 192, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, vocab_size: 512 },
    batch: 4,
    seqLen: 64,
    loraRank: 8,
  },
];

async function timeIt(gpu: Gpu, fn: () => Promise<void> | void, iterations: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    await gpu.sync();
    const t0 = performance.now();
    await fn();
    await gpu.sync();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export interface ModelBenchOptions {
  layers?: number; // override the layer count (a quick run); records say which was used
  iterations?: number; // timed training steps (default 2, after one warm-up)
  only?: string; // shape name filter
  log?: (m: string) => void;
}

export async function benchModel(gpu: Gpu, options: ModelBenchOptions = {}): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  for (const shape of MODEL_SHAPES) {
    if (options.only && !shape.name.includes(options.only)) continue;
    const config = { ...shape.config, ...(options.layers && shape.name.startsWith('smollm2') ? { num_hidden_layers: options.layers } : {}) };
    const cfg = parseModelConfig(config);
    const { batch: B, seqLen: T, loraRank: r } = shape;
    options.log?.(`model ${shape.name}: ${cfg.nLayers} layers, loading random weights`);
    const model = new DecoderModel(gpu, cfg, await loadDecoderWeights(gpu, cfg, randomReader(cfg, 1)));
    model.attach({ kind: 'lora', adapter: createLoraAdapter(gpu, cfg, { r, alpha: 2 * r, dropout: 0.05, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'], seed: 1 }) });
    const set = createGradients(gpu, model, { kind: 'lora' });
    const opt = new AdamW(gpu, set, DEFAULT_OPTIMIZER);
    const rng = new Rng(2);
    const ids = Uint32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize));
    const positions = Uint32Array.from({ length: B * T }, (_, i) => i % T);
    // Every position learned (the worst case for lm_head; a chat batch learns about a third).
    const learned = { rows: gpu.upload(Uint32Array.from({ length: B * T }, (_, i) => i), [B * T], 'u32', 'rows'), targets: gpu.upload(Uint32Array.from({ length: B * T }, () => rng.int(cfg.vocabSize)), [B * T], 'u32', 'targets') };
    const inputs = model.uploadInputs(B, T, ids, positions, null);
    const loss = gpu.zeros([2], 'f32', 'loss');
    const trainStep = () => {
      zeroGradients(gpu, set);
      microBatchStep(gpu, model, inputs, learned, set, B * T, loss, 0);
      opt.update(1e-4);
    };
    const iterations = options.iterations ?? 2;
    options.log?.(`model ${shape.name}: training step (warm-up + ${iterations})`);
    await timeIt(gpu, trainStep, 1);
    const trainMs = await timeIt(gpu, trainStep, iterations);
    const flops = trainStepFlops(cfg, B, T, { mode: 'lora', loraRank: r });

    // The matmul peak on this adapter at this model's linear shape (x·Wᵀ, the hot case).
    const peak = await benchMatmul(gpu, [[B * T, cfg.hidden, cfg.intermediate]], { layouts: ['NT'], variants: [matmulVariant(gpu)], iterations: 3 });
    const peakGflops = Math.max(...peak.map((p) => p.gflops));

    options.log?.(`model ${shape.name}: prefill and decode`);
    const prompts = Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(cfg.vocabSize)));
    // One generation: the first token's time is the prefill; the steps after it are decode steps
    // (each reads back its token ids, so the callback times are real completion times).
    const decodeTokens = 8;
    const stepTimes: number[] = [];
    await generate(model, prompts, { maxNewTokens: 1, sampling: { temperature: 0 }, eosIds: [] }); // compile
    await gpu.sync();
    const g0 = performance.now();
    await generate(model, prompts, { maxNewTokens: 1 + decodeTokens, sampling: { temperature: 0 }, eosIds: [], onStep: () => stepTimes.push(performance.now()) });
    const prefillMs = stepTimes[0] - g0;
    const decodeGaps = stepTimes.slice(1).map((t, i) => t - stepTimes[i]).sort((a, b) => a - b);
    const decodeMs = decodeGaps[Math.floor(decodeGaps.length / 2)];
    // The matmul part of one decode step: every linear layer and the lm_head at B rows, alone.
    const xs = new Map<number, ReturnType<typeof gpu.zeros>>();
    const rowsOf = (features: number) => {
      if (!xs.has(features)) xs.set(features, gpu.upload(rng.normalArray(B * features, 1), [B, features], 'f32', 'bench.x'));
      return xs.get(features)!;
    };
    const decodeMatmuls = () => {
      for (const layer of model.weights.layers) {
        for (const w of Object.values(layer.linear)) linearForward(gpu, rowsOf(w.shape[1]), w).destroy();
      }
      linearForward(gpu, rowsOf(cfg.hidden), model.weights.lmHead).destroy();
    };
    await timeIt(gpu, decodeMatmuls, 1);
    const decodeMatmulMs = await timeIt(gpu, decodeMatmuls, 3);
    for (const x of xs.values()) x.destroy();

    records.push({
      suite: 'model',
      model: shape.name,
      layers: cfg.nLayers,
      batch: B,
      seqLen: T,
      lora: `r=${r} all-linear`,
      trainStepMs: round(trainMs),
      trainTokensPerSec: round((B * T * 1000) / trainMs),
      trainGflops: round(flops / trainMs / 1e6),
      matmulPeakGflops: round(peakGflops),
      shareOfMatmulPeak: round(flops / trainMs / 1e6 / peakGflops),
      prefillTokensPerSec: round((B * T * 1000) / prefillMs),
      decodeMsPerStep: round(decodeMs), // median over the decode steps
      decodeMatmulMsPerStep: round(decodeMatmulMs),
      decodeOverheadMsPerStep: round(decodeMs - decodeMatmulMs),
      decodeTokensPerSec: round((B * 1000) / decodeMs),
      timing: 'wall (submit to completion, median)',
    });
    for (const t of [learned.rows, learned.targets, loss, inputs.ids, inputs.positions]) t.destroy();
    opt.destroy();
    destroyGradients(set);
    destroyLoraAdapter(model.adapter!);
    model.detach();
    model.destroy();
  }
  return records;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
