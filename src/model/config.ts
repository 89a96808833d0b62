// Hugging Face `config.json` → typed ModelConfig for the Llama-family decoder, plus the parameter
// count and the memory estimate shown before loading (running out of GPU memory is WebGPU's most
// common failure, so the user is warned before anything is allocated).
//
// Shape letters: V vocab, C hidden, F intermediate (MLP), L layers, H query heads, KV key/value
// heads, D head size, T sequence length, B batch, R LoRA rank.

import type { Llama3RopeScaling } from '../ops/rope';
import { LINEAR_NAMES, linearShape, type LinearName } from './weights';

export const SUPPORTED_ARCHITECTURES = ['LlamaForCausalLM', 'Qwen2ForCausalLM', 'MistralForCausalLM'] as const;
export type Architecture = (typeof SUPPORTED_ARCHITECTURES)[number];

// Llama-3.1/3.2 frequency-dependent RoPE scaling (the only scaling the engine implements) is the
// rope op's own type, so the parsed config feeds ropeInvFreq unchanged.
export type { Llama3RopeScaling };

export interface ModelConfig {
  architecture: Architecture; // 'LlamaForCausalLM'
  vocabSize: number; // V, 49152 for SmolLM2
  hidden: number; // C, 576 for SmolLM2-135M
  intermediate: number; // F, 1536 for SmolLM2-135M
  nLayers: number; // L, 30 for SmolLM2-135M
  nHeads: number; // H, 9 for SmolLM2-135M
  nKvHeads: number; // KV, 3 for SmolLM2-135M (grouped-query attention: H/KV query heads share one)
  headDim: number; // D, 64: head_dim when given, else C/H
  rmsNormEps: number; // 1e-5
  ropeTheta: number; // 10000 (SmolLM2-135M), 500000 (Llama-3), 1000000 (Qwen2.5)
  ropeScaling: Llama3RopeScaling | null; // null: plain RoPE
  tieWordEmbeddings: boolean; // true: lm_head reuses embed_tokens (SmolLM2, Qwen2.5-0.5B, Llama-3.2-1B)
  qkvBias: boolean; // bias on q_proj, k_proj, v_proj (Qwen2 always; Llama when attention_bias)
  oBias: boolean; // bias on o_proj (Llama when attention_bias; never Qwen2)
  mlpBias: boolean; // bias on gate/up/down_proj (Llama's mlp_bias)
  maxPositionEmbeddings: number; // 8192: longest context the positions were trained for
  slidingWindow: number | null; // Mistral/Qwen2 attention window; null: full causal attention
  bosTokenId: number | null; // 1
  eosTokenIds: number[]; // [2]; config.json may give one id or a list
  torchDtype: string | null; // 'bfloat16': dtype the checkpoint was saved in (informational)
}

export class ModelConfigError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'ModelConfigError';
  }
}

const MODEL_TYPE_TO_ARCHITECTURE: Record<string, Architecture> = {
  llama: 'LlamaForCausalLM',
  qwen2: 'Qwen2ForCausalLM',
  mistral: 'MistralForCausalLM',
};

// Defaults of the transformers config classes, used when a key is absent from config.json.
const DEFAULTS: Record<Architecture, { rmsNormEps: number; ropeTheta: number; maxPositions: number }> = {
  LlamaForCausalLM: { rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 2048 },
  Qwen2ForCausalLM: { rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 32768 },
  MistralForCausalLM: { rmsNormEps: 1e-6, ropeTheta: 10000, maxPositions: 4096 * 32 },
};

export interface ParseConfigOptions {
  fileName?: string; // named in every error, 'config.json' by default
  maxSeqLen?: number; // longest sequence the caller will run; checked against a sliding window
}

/** Parse and validate a config.json object. Throws ModelConfigError naming the file and the field. */
export function parseModelConfig(json: unknown, options: ParseConfigOptions = {}): ModelConfig {
  const file = options.fileName ?? 'config.json';
  const fail = (message: string): never => {
    throw new ModelConfigError(file, message);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a JSON object.');
  const raw = json as Record<string, unknown>;

  const architecture = pickArchitecture(raw, fail);
  const defaults = DEFAULTS[architecture];
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (v === undefined || v === null) return fail(`missing required field "${key}".`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}.`);
    return v as number;
  };
  const positive = (key: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`"${key}" must be a positive number, got ${JSON.stringify(v)}.`);
    return v as number;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'boolean') fail(`"${key}" must be true or false, got ${JSON.stringify(v)}.`);
    return v as boolean;
  };

  const hiddenAct = raw.hidden_act ?? raw.hidden_activation ?? 'silu';
  if (hiddenAct !== 'silu') fail(`"hidden_act" must be "silu" (SwiGLU MLP), got ${JSON.stringify(hiddenAct)}.`);

  const hidden = int('hidden_size');
  const nHeads = int('num_attention_heads');
  const nKvHeads = int('num_key_value_heads', nHeads);
  const headDimGiven = raw.head_dim !== undefined && raw.head_dim !== null;
  if (!headDimGiven && hidden % nHeads !== 0) {
    fail(`"num_attention_heads" (${nHeads}) must divide "hidden_size" (${hidden}) when "head_dim" is not given.`);
  }
  const headDim = headDimGiven ? int('head_dim') : hidden / nHeads;
  if (nHeads % nKvHeads !== 0) fail(`"num_key_value_heads" (${nKvHeads}) must divide "num_attention_heads" (${nHeads}).`);

  // transformers v5 moves rope_theta and rope_scaling into one "rope_parameters" object.
  const ropeParameters = asObject(raw.rope_parameters);
  const ropeTheta = positive('rope_theta', ropeParameters?.rope_theta ?? raw.rope_theta ?? defaults.ropeTheta);
  const ropeScaling = parseRopeScaling(raw.rope_scaling ?? ropeParameters ?? null, fail);

  const attentionBias = bool('attention_bias', false);
  const qkvBias = architecture === 'Qwen2ForCausalLM' ? true : attentionBias;
  const oBias = architecture === 'LlamaForCausalLM' ? attentionBias : false;
  const mlpBias = architecture === 'LlamaForCausalLM' ? bool('mlp_bias', false) : false;

  const maxPositionEmbeddings = int('max_position_embeddings', defaults.maxPositions);
  const slidingWindow = parseSlidingWindow(raw, architecture, fail);
  if (slidingWindow !== null && options.maxSeqLen !== undefined) {
    assertSequenceFitsWindow({ slidingWindow }, options.maxSeqLen, file);
  }

  return {
    architecture,
    vocabSize: int('vocab_size'),
    hidden,
    intermediate: int('intermediate_size'),
    nLayers: int('num_hidden_layers'),
    nHeads,
    nKvHeads,
    headDim,
    rmsNormEps: positive('rms_norm_eps', raw.rms_norm_eps ?? defaults.rmsNormEps),
    ropeTheta,
    ropeScaling,
    tieWordEmbeddings: bool('tie_word_embeddings', false),
    qkvBias,
    oBias,
    mlpBias,
    maxPositionEmbeddings,
    slidingWindow,
    bosTokenId: optionalTokenId('bos_token_id', raw.bos_token_id, fail),
    eosTokenIds: tokenIdList('eos_token_id', raw.eos_token_id, fail),
    torchDtype: typeof (raw.torch_dtype ?? raw.dtype) === 'string' ? ((raw.torch_dtype ?? raw.dtype) as string) : null,
  };
}

/**
 * The engine computes full causal attention. That equals sliding-window attention exactly when no
 * sequence is longer than the window, so longer sequences are refused rather than silently wrong.
 */
export function assertSequenceFitsWindow(cfg: Pick<ModelConfig, 'slidingWindow'>, seqLen: number, file = 'config.json'): void {
  if (cfg.slidingWindow !== null && seqLen > cfg.slidingWindow) {
    throw new ModelConfigError(
      file,
      `"sliding_window" is ${cfg.slidingWindow} but sequences of ${seqLen} tokens were requested; ` +
        `sliding-window attention is not implemented, use sequences of at most ${cfg.slidingWindow} tokens.`,
    );
  }
}

type Fail = (message: string) => never;

function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function pickArchitecture(raw: Record<string, unknown>, fail: Fail): Architecture {
  const supported = SUPPORTED_ARCHITECTURES.join(', ');
  const listed = raw.architectures;
  if (listed !== undefined && listed !== null) {
    if (!Array.isArray(listed) || listed.length === 0) fail(`"architectures" must be a non-empty list, got ${JSON.stringify(listed)}.`);
    const known = (listed as unknown[]).find((a): a is Architecture => SUPPORTED_ARCHITECTURES.includes(a as Architecture));
    if (!known) fail(`unsupported architecture ${JSON.stringify(listed)}; supported: ${supported}.`);
    return known as Architecture;
  }
  const fromType = MODEL_TYPE_TO_ARCHITECTURE[String(raw.model_type)];
  if (!fromType) fail(`unsupported model_type ${JSON.stringify(raw.model_type)} (no "architectures" given); supported: ${supported}.`);
  return fromType;
}

function parseRopeScaling(value: unknown, fail: Fail): Llama3RopeScaling | null {
  if (value === null || value === undefined) return null;
  const scaling = asObject(value);
  if (!scaling) return fail(`"rope_scaling" must be an object or null, got ${JSON.stringify(value)}.`);
  const kind = scaling.rope_type ?? scaling.type ?? 'default';
  if (kind === 'default') return null;
  if (kind !== 'llama3') {
    fail(`rope_scaling type ${JSON.stringify(kind)} is not supported (only "llama3" is); linear, dynamic, yarn and longrope scaling are not implemented.`);
  }
  const num = (key: string): number => {
    const v = scaling[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(`"rope_scaling.${key}" must be a positive number, got ${JSON.stringify(v)}.`);
    return v as number;
  };
  const result: Llama3RopeScaling = {
    ropeType: 'llama3',
    factor: num('factor'),
    lowFreqFactor: num('low_freq_factor'),
    highFreqFactor: num('high_freq_factor'),
    originalMaxPositionEmbeddings: num('original_max_position_embeddings'),
  };
  // The smooth interpolation divides by (high - low).
  if (result.highFreqFactor <= result.lowFreqFactor) {
    fail(`"rope_scaling.high_freq_factor" (${result.highFreqFactor}) must exceed "low_freq_factor" (${result.lowFreqFactor}).`);
  }
  return result;
}

function parseSlidingWindow(raw: Record<string, unknown>, architecture: Architecture, fail: Fail): number | null {
  if (architecture === 'LlamaForCausalLM') return null;
  // Qwen2 ships a sliding_window value but only applies it when use_sliding_window is true.
  if (architecture === 'Qwen2ForCausalLM' && raw.use_sliding_window !== true) return null;
  const w = raw.sliding_window;
  if (w === undefined || w === null) return null;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1) fail(`"sliding_window" must be null or a positive integer, got ${JSON.stringify(w)}.`);
  return w as number;
}

function optionalTokenId(key: string, v: unknown, fail: Fail): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`"${key}" must be a non-negative integer, got ${JSON.stringify(v)}.`);
  return v as number;
}

function tokenIdList(key: string, v: unknown, fail: Fail): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((id) => optionalTokenId(key, id, fail) as number);
}


// ---------------------------------------------------------------------------------------------
// Parameter count and memory estimate.

export interface ParameterCount {
  embedding: number; // V·C, embed_tokens
  perLayer: number; // attention + MLP + two RMSNorm weights of one decoder layer
  layers: number; // L · perLayer
  finalNorm: number; // C
  lmHead: number; // V·C, or 0 when tied to the embedding
  total: number;
}

export function parameterCount(cfg: ModelConfig): ParameterCount {
  const { vocabSize: V, hidden: C, intermediate: F, nLayers: L, nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  const q = C * H * D + (cfg.qkvBias ? H * D : 0);
  const kv = 2 * (C * KV * D + (cfg.qkvBias ? KV * D : 0));
  const o = H * D * C + (cfg.oBias ? C : 0);
  const mlp = 3 * C * F + (cfg.mlpBias ? 2 * F + C : 0);
  const perLayer = q + kv + o + mlp + 2 * C;
  const embedding = V * C;
  const lmHead = cfg.tieWordEmbeddings ? 0 : V * C;
  const layers = L * perLayer;
  return { embedding, perLayer, layers, finalNorm: C, lmHead, total: embedding + layers + C + lmHead };
}

/** Trainable parameters of LoRA adapters of rank R on `targets` in every layer: R·(in + out) each. */
export function loraParameterCount(cfg: ModelConfig, rank: number, targets: readonly LinearName[] = LINEAR_NAMES): number {
  let perLayer = 0;
  for (const t of targets) {
    const [out, inp] = linearShape(cfg, t);
    perLayer += rank * (inp + out);
  }
  return cfg.nLayers * perLayer;
}

export interface MemoryEstimateOptions {
  batch: number; // B sequences per micro-batch
  seqLen: number; // T tokens per sequence (the longest in the batch)
  mode: 'full' | 'lora' | 'inference';
  loraRank?: number; // R, required for mode 'lora'
  loraTargets?: readonly LinearName[]; // all seven linears by default
  trainEmbeddings?: boolean; // full fine-tuning also trains the embedding (default false, as the trainer)
}

/** Bytes of GPU memory at the peak of a training step (or a forward with a KV cache), by purpose. */
export interface MemoryEstimate {
  weights: number; // base weights; plus the LoRA adapter, or the trained copy of the weights (full)
  grads: number; // one f32 gradient per trainable parameter
  optimizer: number; // AdamW first and second moments, f32
  activations: number; // what backward reads, kept for every layer, plus the scratch of the peak moment (or the KV cache)
  logits: number; // B·T·V logits (their gradient overwrites them in place)
  total: number;
}

const F32 = 4;

/**
 * What the engine allocates, counted tensor by tensor (f32; buffer-pool rounding not included).
 * Training keeps, per token and layer: the layer input, both RMSNorm outputs and 1/rms, q, k, v,
 * the attention output and its log-sum-exp per head (not the probabilities: attention recomputes
 * them in backward), the mid residual, gate, up, silu(gate)·up, and with LoRA x·Aᵀ per target.
 * The peak is at the lm_head backward (all layers kept, the final hidden states, the logits and
 * their gradient) or inside the top layer's backward, whichever needs more.
 */
export function memoryEstimate(cfg: ModelConfig, options: MemoryEstimateOptions): MemoryEstimate {
  const { batch: B, seqLen: T, mode } = options;
  for (const [name, v] of Object.entries({ batch: B, seqLen: T })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`memoryEstimate: ${name} must be a positive integer, got ${v}.`);
  }
  const rank = options.loraRank ?? 0;
  if (mode === 'lora' && (!Number.isInteger(rank) || rank < 1)) {
    throw new Error(`memoryEstimate: mode 'lora' needs a positive integer loraRank, got ${options.loraRank}.`);
  }
  const { vocabSize: V, hidden: C, intermediate: F, nLayers: L, nHeads: H, nKvHeads: KV, headDim: D } = cfg;
  const counts = parameterCount(cfg);
  const N = B * T;
  const targets = options.loraTargets ?? LINEAR_NAMES;
  const frozenEmbedding = options.trainEmbeddings ? 0 : counts.embedding;
  const trainable = mode === 'full' ? counts.total - frozenEmbedding : mode === 'lora' ? loraParameterCount(cfg, rank, targets) : 0;
  const weights = (counts.total + (mode === 'full' ? counts.total : trainable)) * F32;

  let activations: number;
  if (mode === 'inference') {
    // The KV cache, and one layer's scratch for the tokens of the step.
    const scratch = 4 * C + 2 * H * D + 2 * KV * D + 3 * F;
    activations = (L * 2 * KV * D * N + N * scratch) * F32;
  } else {
    const lora = mode === 'lora' ? rank * targets.length : 0;
    const keptPerLayer = 4 * C + 2 + 2 * H * D + 2 * KV * D + H + 3 * F + lora;
    const inputs = 3; // ids, positions, targets (u32)
    const atLmHead = 3 * C + 3; // last layer output, final norm output and 1/rms, dx of the norm; losses and log-probs
    const inTopLayer = 5 * C + 3 * F + 2 * H * D + 2 * KV * D + rank; // dx, dh, dgate, dup, dn2, dx1, d(att), dq, dk, dv, a dropout temporary
    // The logits (counted below) are live at the lm_head moment and freed before the top layer's.
    activations = N * (L * keptPerLayer + inputs + Math.max(atLmHead, inTopLayer - V)) * F32;
  }
  const logits = mode === 'inference' ? B * V * F32 : N * V * F32;
  const grads = trainable * F32;
  const optimizer = 2 * trainable * F32;
  return { weights, grads, optimizer, activations, logits, total: weights + grads + optimizer + activations + logits };
}
