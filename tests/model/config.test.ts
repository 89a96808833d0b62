import { describe, expect, it } from 'vitest';
import {
  assertSequenceFitsWindow,
  loraParameterCount,
  memoryEstimate,
  parameterCount,
  parseModelConfig,
  type ModelConfig,
} from '../../src/model/config';

// config.json of public checkpoints, as published on the Hub (fields that do not matter trimmed).
const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu',
  hidden_size: 576, intermediate_size: 1536, max_position_embeddings: 8192, mlp_bias: false, model_type: 'llama',
  num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_scaling: null,
  rope_theta: 100000, tie_word_embeddings: true, torch_dtype: 'bfloat16', vocab_size: 49152,
};
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu', hidden_size: 896,
  intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 21, model_type: 'qwen2',
  num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0,
  sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_sliding_window: false, vocab_size: 151936,
};
const TINYLLAMA_11B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu',
  hidden_size: 2048, intermediate_size: 5632, max_position_embeddings: 2048, model_type: 'llama', num_attention_heads: 32,
  num_hidden_layers: 22, num_key_value_heads: 4, rms_norm_eps: 1e-5, rope_scaling: null, rope_theta: 10000.0,
  tie_word_embeddings: false, torch_dtype: 'bfloat16', vocab_size: 32000,
};
const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
  head_dim: 64, hidden_act: 'silu', hidden_size: 2048, intermediate_size: 8192, max_position_embeddings: 131072,
  mlp_bias: false, model_type: 'llama', num_attention_heads: 32, num_hidden_layers: 16, num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: 'bfloat16', vocab_size: 128256,
};
const MISTRAL_7B_V02 = {
  architectures: ['MistralForCausalLM'], bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', hidden_size: 4096,
  intermediate_size: 14336, max_position_embeddings: 32768, model_type: 'mistral', num_attention_heads: 32,
  num_hidden_layers: 32, num_key_value_heads: 8, rms_norm_eps: 1e-5, rope_theta: 1000000.0, sliding_window: null,
  tie_word_embeddings: false, torch_dtype: 'bfloat16', vocab_size: 32000,
};
const MISTRAL_7B_V01 = { ...MISTRAL_7B_V02, rope_theta: 10000.0, sliding_window: 4096 };

describe('parseModelConfig: supported checkpoints', () => {
  it('reads SmolLM2-135M (Llama, GQA, tied embeddings)', () => {
    const cfg = parseModelConfig(SMOLLM2_135M);
    expect(cfg).toEqual<ModelConfig>({
      architecture: 'LlamaForCausalLM', vocabSize: 49152, hidden: 576, intermediate: 1536, nLayers: 30, nHeads: 9,
      nKvHeads: 3, headDim: 64, rmsNormEps: 1e-5, ropeTheta: 100000, ropeScaling: null, tieWordEmbeddings: true,
      qkvBias: false, oBias: false, mlpBias: false, maxPositionEmbeddings: 8192, slidingWindow: null, bosTokenId: 1,
      eosTokenIds: [2], torchDtype: 'bfloat16',
    });
  });

  it('reads Qwen2.5-0.5B: bias on q/k/v only, sliding window off unless use_sliding_window', () => {
    const cfg = parseModelConfig(QWEN25_05B);
    expect(cfg).toMatchObject({ architecture: 'Qwen2ForCausalLM', headDim: 64, nKvHeads: 2, qkvBias: true, oBias: false, mlpBias: false });
    expect(cfg.slidingWindow).toBeNull();
    expect(cfg.ropeTheta).toBe(1e6);
    const windowed = parseModelConfig({ ...QWEN25_05B, use_sliding_window: true, sliding_window: 4096 });
    expect(windowed.slidingWindow).toBe(4096);
  });

  it('reads TinyLlama-1.1B (untied lm_head)', () => {
    const cfg = parseModelConfig(TINYLLAMA_11B);
    expect(cfg).toMatchObject({ nHeads: 32, nKvHeads: 4, headDim: 64, tieWordEmbeddings: false, rmsNormEps: 1e-5 });
  });

  it('reads Llama-3.2-1B: llama3 RoPE scaling, eos list, explicit head_dim', () => {
    const cfg = parseModelConfig(LLAMA32_1B);
    expect(cfg.ropeScaling).toEqual({ ropeType: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(cfg.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect(cfg.headDim).toBe(64);
    // Older configs spell the kind "type" instead of "rope_type".
    const { rope_type: _, ...rest } = LLAMA32_1B.rope_scaling;
    expect(parseModelConfig({ ...LLAMA32_1B, rope_scaling: { ...rest, type: 'llama3' } }).ropeScaling?.factor).toBe(32);
  });

  it('reads transformers v5 rope_parameters', () => {
    const { rope_theta: _t, rope_scaling: _s, ...rest } = LLAMA32_1B;
    const cfg = parseModelConfig({ ...rest, rope_parameters: { ...LLAMA32_1B.rope_scaling, rope_theta: 500000 } });
    expect(cfg.ropeTheta).toBe(500000);
    expect(cfg.ropeScaling?.ropeType).toBe('llama3');
    const plain = parseModelConfig({ ...rest, rope_parameters: { rope_type: 'default', rope_theta: 12345 } });
    expect([plain.ropeTheta, plain.ropeScaling]).toEqual([12345, null]);
  });

  it('reads Mistral: no window (v0.2) and a window checked against the sequence length (v0.1)', () => {
    expect(parseModelConfig(MISTRAL_7B_V02).slidingWindow).toBeNull();
    const v01 = parseModelConfig(MISTRAL_7B_V01, { maxSeqLen: 4096 });
    expect(v01.slidingWindow).toBe(4096);
    expect(() => parseModelConfig(MISTRAL_7B_V01, { maxSeqLen: 4097 })).toThrow(/config\.json: "sliding_window" is 4096 but sequences of 4097 tokens/);
    expect(() => assertSequenceFitsWindow(v01, 8192)).toThrow(/sliding-window attention is not implemented/);
    expect(() => assertSequenceFitsWindow(v01, 512)).not.toThrow();
  });

  it("maps Llama's attention_bias to q, k, v, o and mlp_bias to the MLP", () => {
    const cfg = parseModelConfig({ ...SMOLLM2_135M, attention_bias: true, mlp_bias: true });
    expect([cfg.qkvBias, cfg.oBias, cfg.mlpBias]).toEqual([true, true, true]);
  });

  it('falls back to model_type and the transformers defaults when keys are absent', () => {
    const cfg = parseModelConfig({ model_type: 'llama', vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, num_attention_heads: 2 });
    expect(cfg).toMatchObject({ architecture: 'LlamaForCausalLM', nKvHeads: 2, headDim: 4, rmsNormEps: 1e-6, ropeTheta: 10000, tieWordEmbeddings: false, maxPositionEmbeddings: 2048, eosTokenIds: [], bosTokenId: null });
  });

  it('accepts head_dim that is not hidden/heads', () => {
    const cfg = parseModelConfig({ ...TINYLLAMA_11B, hidden_size: 100, num_attention_heads: 3, num_key_value_heads: 1, head_dim: 32 });
    expect(cfg.headDim).toBe(32);
  });
});

describe('parseModelConfig: refusals name the file and the field', () => {
  const file = { fileName: 'my-model/config.json' };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['unsupported architecture', { ...SMOLLM2_135M, architectures: ['Gemma2ForCausalLM'] }, /my-model\/config\.json: unsupported architecture \["Gemma2ForCausalLM"\]; supported: LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM/],
    ['unsupported model_type', { ...SMOLLM2_135M, architectures: undefined, model_type: 'gpt2' }, /unsupported model_type "gpt2".*supported: LlamaForCausalLM/],
    ['gelu activation', { ...SMOLLM2_135M, hidden_act: 'gelu' }, /"hidden_act" must be "silu".*"gelu"/],
    ['linear rope scaling', { ...SMOLLM2_135M, rope_scaling: { type: 'linear', factor: 2 } }, /rope_scaling type "linear" is not supported/],
    ['yarn rope scaling', { ...SMOLLM2_135M, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling type "yarn" is not supported/],
    ['dynamic rope scaling', { ...SMOLLM2_135M, rope_scaling: { type: 'dynamic', factor: 2 } }, /rope_scaling type "dynamic"/],
    ['llama3 scaling missing a field', { ...LLAMA32_1B, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 } }, /"rope_scaling\.original_max_position_embeddings" must be a positive number/],
    ['heads not dividing hidden', { ...SMOLLM2_135M, num_attention_heads: 7 }, /"num_attention_heads" \(7\) must divide "hidden_size" \(576\)/],
    ['kv heads not dividing heads', { ...SMOLLM2_135M, num_key_value_heads: 2 }, /"num_key_value_heads" \(2\) must divide "num_attention_heads" \(9\)/],
    ['missing vocab_size', { ...SMOLLM2_135M, vocab_size: undefined }, /missing required field "vocab_size"/],
    ['negative layers', { ...SMOLLM2_135M, num_hidden_layers: -3 }, /"num_hidden_layers" must be a positive integer, got -3/],
    ['fractional hidden size', { ...SMOLLM2_135M, hidden_size: 576.5 }, /"hidden_size" must be a positive integer, got 576\.5/],
    ['string rms eps', { ...SMOLLM2_135M, rms_norm_eps: '1e-5' }, /"rms_norm_eps" must be a positive number/],
    ['bad sliding window', { ...MISTRAL_7B_V01, sliding_window: 0 }, /"sliding_window" must be null or a positive integer/],
    ['bad eos id', { ...SMOLLM2_135M, eos_token_id: [2, -1] }, /"eos_token_id" must be a non-negative integer, got -1/],
  ])('%s', (_, json, message) => {
    expect(() => parseModelConfig(json, file)).toThrow(message);
    expect(() => parseModelConfig(json, file)).toThrow(/^my-model\/config\.json: /);
  });

  it('refuses a non-object', () => {
    expect(() => parseModelConfig([1, 2])).toThrow(/config\.json: expected a JSON object/);
    expect(() => parseModelConfig(null)).toThrow(/config\.json: expected a JSON object/);
  });
});

describe('parameterCount', () => {
  // Totals published for these checkpoints (sum of the safetensors tensor sizes).
  it.each<[string, Record<string, unknown>, number]>([
    ['SmolLM2-135M', SMOLLM2_135M, 134_515_008],
    ['Qwen2.5-0.5B', QWEN25_05B, 494_032_768],
    ['TinyLlama-1.1B', TINYLLAMA_11B, 1_100_048_384],
    ['Llama-3.2-1B', LLAMA32_1B, 1_235_814_400],
    ['Mistral-7B', MISTRAL_7B_V02, 7_241_732_096],
  ])('%s has the published parameter count', (_, json, total) => {
    expect(parameterCount(parseModelConfig(json)).total).toBe(total);
  });

  it('counts Llama attention and MLP biases', () => {
    const plain = parameterCount(parseModelConfig(SMOLLM2_135M)).total;
    const biased = parameterCount(parseModelConfig({ ...SMOLLM2_135M, attention_bias: true, mlp_bias: true })).total;
    // Per layer: q 576 + k 192 + v 192 + o 576, gate 1536 + up 1536 + down 576.
    expect(biased - plain).toBe(30 * (576 + 192 + 192 + 576 + 1536 + 1536 + 576));
  });
});

describe('memoryEstimate', () => {
  const cfg = parseModelConfig(SMOLLM2_135M);
  const P = 134_515_008;

  it('full fine-tuning: the base and its trained copy, a gradient and two AdamW moments per trained parameter', () => {
    const embedding = 49152 * 576; // tied: frozen unless trainEmbeddings
    const m = memoryEstimate(cfg, { batch: 1, seqLen: 256, mode: 'full' });
    expect([m.weights, m.grads, m.optimizer]).toEqual([8 * P, 4 * (P - embedding), 8 * (P - embedding)]);
    expect(memoryEstimate(cfg, { batch: 1, seqLen: 256, mode: 'full', trainEmbeddings: true }).grads).toBe(4 * P);
    expect(m.logits).toBe(256 * 49152 * 4);
    expect(m.total).toBe(m.weights + m.grads + m.optimizer + m.activations + m.logits);
  });

  it('LoRA: frozen weights, state only for the adapters', () => {
    // Rank 8 on all seven linears: 8·(in+out) each, per layer q 1152, k 768, v 768, o 1152, gate/up/down 2112.
    const lora = 30 * 8 * (1152 + 768 + 768 + 1152 + 3 * 2112);
    expect(loraParameterCount(cfg, 8)).toBe(lora);
    const m = memoryEstimate(cfg, { batch: 2, seqLen: 128, mode: 'lora', loraRank: 8 });
    expect([m.weights, m.grads, m.optimizer]).toEqual([4 * P + 4 * lora, 4 * lora, 8 * lora]);
    expect(loraParameterCount(cfg, 8, ['q', 'v'])).toBe(30 * 8 * (1152 + 768));
  });

  it('activations grow linearly in batch and in sequence length (attention keeps no probabilities)', () => {
    const at = (batch: number, seqLen: number) => memoryEstimate(cfg, { batch, seqLen, mode: 'full' }).activations;
    expect(at(4, 128)).toBe(4 * at(1, 128));
    expect(at(1, 256)).toBe(2 * at(1, 128));
    const inference = memoryEstimate(cfg, { batch: 1, seqLen: 128, mode: 'inference' });
    expect([inference.grads, inference.optimizer]).toEqual([0, 0]);
    expect(inference.activations).toBeLessThan(at(1, 128));
  });

  it('refuses LoRA without a rank and non-integer sizes', () => {
    expect(() => memoryEstimate(cfg, { batch: 1, seqLen: 8, mode: 'lora' })).toThrow(/mode 'lora' needs a positive integer loraRank/);
    expect(() => memoryEstimate(cfg, { batch: 0, seqLen: 8, mode: 'full' })).toThrow(/batch must be a positive integer, got 0/);
  });
});
