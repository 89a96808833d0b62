// A training step's FLOPs: with attention negligible (one token a sequence) and LoRA's rank 0, a
// step is ≈ 4·params·tokens for LoRA (forward and input gradients) and 6·params·tokens for full
// fine-tuning (plus weight gradients) over the linear layers and the lm_head; LoRA's extra terms
// grow with the rank; attention grows with T².
import { describe, expect, it } from 'vitest';
import { parameterCount, parseModelConfig } from '../../src/model/config';
import { trainStepFlops } from '../../src/model/flops';

const config = (tie: boolean) =>
  parseModelConfig({
    architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 160, num_attention_heads: 4, num_key_value_heads: 2,
    num_hidden_layers: 3, vocab_size: 500, rms_norm_eps: 1e-5, rope_theta: 10000, tie_word_embeddings: tie, max_position_embeddings: 256, hidden_act: 'silu',
  });

describe('trainStepFlops', () => {
  it('is 4 (LoRA, rank 0) and 6 (full) FLOPs per linear parameter and token, attention aside', () => {
    const cfg = config(false);
    const p = parameterCount(cfg);
    const linear = p.layers - cfg.nLayers * 2 * cfg.hidden; // the decoder layers' linear weights (norms aside)
    const head = cfg.vocabSize * cfg.hidden; // the lm_head's matmul, tied or not
    const tokens = 8; // B = 8 sequences of T = 1: attention is 2·B·H·D·3.5 per layer, tiny
    const attention = cfg.nLayers * 3.5 * 2 * 8 * cfg.nHeads * cfg.headDim;
    expect(trainStepFlops(cfg, 8, 1, { mode: 'lora', loraRank: 0 })).toBeCloseTo(4 * tokens * (linear + head) + attention, 6);
    expect(trainStepFlops(cfg, 8, 1, { mode: 'full' })).toBeCloseTo(6 * tokens * (linear + head) + attention, 6);
    // Tied, the lm_head is the frozen embedding: no weight gradient for it.
    const tied = config(true);
    expect(trainStepFlops(tied, 8, 1, { mode: 'full' }) - trainStepFlops(tied, 8, 1, { mode: 'lora', loraRank: 0 })).toBeCloseTo(2 * tokens * linear, 6);
  });

  it('grows with LoRA\'s rank and with T² through attention', () => {
    const cfg = config(true);
    expect(trainStepFlops(cfg, 2, 32, { mode: 'lora', loraRank: 16 })).toBeGreaterThan(trainStepFlops(cfg, 2, 32, { mode: 'lora', loraRank: 8 }));
    const perToken = (T: number) => trainStepFlops(cfg, 1, T, { mode: 'lora', loraRank: 16 }) / T;
    expect(perToken(128) - perToken(64)).toBeCloseTo(2 * (perToken(64) - perToken(32)), 3); // per token, attention's share grows linearly in T
    expect(perToken(64)).toBeGreaterThan(perToken(32));
  });
});
