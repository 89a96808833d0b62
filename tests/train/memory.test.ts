// The memory estimate against what a training step really holds: the buffer pool's peak of live
// bytes during one LoRA step and one full fine-tuning step (shapes chosen so that every tensor is a
// power of two bytes, where the pool's size classes add nothing), within 15%.

import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Tensor } from '../../src/gpu/tensor';
import { memoryEstimate, parseModelConfig, type ModelConfig } from '../../src/model/config';
import { DecoderModel } from '../../src/model/model';
import { LINEAR_NAMES, linearShape, type DecoderWeights, type LinearName } from '../../src/model/weights';
import type { TokenizedExample } from '../../src/text/encode-dataset';
import { trainConfig } from '../../src/train/config';
import { destroyAdaptation, freshAdaptation, Trainer } from '../../src/train/trainer';
import { Rng } from '../../src/util/rng';
import { testGpu } from '../helpers/gpu';

const cfg: ModelConfig = parseModelConfig({
  architectures: ['LlamaForCausalLM'],
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 256,
  max_position_embeddings: 128,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
});

function randomModel(gpu: Gpu, rng: Rng): DecoderModel {
  const t = (shape: number[], scale = 0.05): Tensor => gpu.upload(rng.uniformArray(shape.reduce((a, b) => a * b, 1), -scale, scale), shape, 'f32', 'w');
  const ones = () => gpu.upload(new Float32Array(cfg.hidden).fill(1), [cfg.hidden], 'f32', 'norm');
  const embed = t([cfg.vocabSize, cfg.hidden]);
  const weights: DecoderWeights = {
    embed,
    lmHead: embed,
    norm: ones(),
    layers: Array.from({ length: cfg.nLayers }, () => ({
      inputNorm: ones(),
      postNorm: ones(),
      linear: Object.fromEntries(LINEAR_NAMES.map((n) => [n, t(linearShape(cfg, n))])) as Record<LinearName, Tensor>,
      bias: {},
    })),
  };
  return new DecoderModel(gpu, cfg, weights);
}

describe('memoryEstimate against the measured peak of a training step', () => {
  // Every example the same length: one batch of exactly B × T tokens. T is long enough that keeping
  // attention probabilities (H·T per token and layer, which the kernels do not keep) would show.
  const B = 2;
  const T = 64;
  const examples: TokenizedExample[] = Array.from({ length: B }, (_, i) => ({
    ids: Array.from({ length: T }, (_, t) => (7 * i + 3 * t) % cfg.vocabSize),
    lossMask: Array.from({ length: T }, (_, t) => (t >= 4 ? 1 : 0)),
  }));

  for (const method of ['lora', 'full'] as const) {
    it(`${method}: the estimate is within 15% of the pool's peak`, async () => {
      const gpu = await testGpu();
      const model = randomModel(gpu, new Rng(3));
      const config = trainConfig({ method, batchSize: B, maxLength: T, lora: { r: 8, alpha: 16, dropout: 0.1 } });
      await gpu.sync();
      const before = gpu.pool.statistics.liveBytes;
      gpu.pool.resetPeak();
      const trainer = new Trainer(gpu, model, examples, config, 0, freshAdaptation(gpu, model, config));
      await trainer.run({ untilStep: 1 });
      const peak = gpu.pool.statistics.peakLiveBytes - before;
      const estimate = memoryEstimate(cfg, { batch: B, seqLen: T, mode: method, loraRank: 8 });
      // The base weights were live before: the estimate counts them too.
      const baseBytes = before;
      const measured = peak + baseBytes;
      expect(Math.abs(estimate.total - measured) / measured, `estimate ${estimate.total} B, measured ${measured} B`).toBeLessThan(0.15);
      trainer.destroy();
      destroyAdaptation(model, trainer.adaptation);
      model.destroy();
    });
  }
});
