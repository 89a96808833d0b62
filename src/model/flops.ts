// Floating-point operations of one training step (forward and backward), counted per matmul as
// 2·M·K·N, the way the benchmarks turn a step's time into GFLOP/s and the README turns a token
// count into an estimated time. Element-wise work (norms, activations, softmax, the optimizer) is
// left out: it is bandwidth, not FLOPs.

import type { ModelConfig } from './config';

export interface StepFlopsOptions {
  mode: 'lora' | 'full';
  loraRank?: number; // LoRA on all seven linear layers of every decoder layer
}

/**
 * FLOPs of one step over B sequences of T tokens. Both modes propagate gradients through every
 * linear layer (2·N·K·N_out each, as the forward) and attention (≈ 2.5× its causal forward: it
 * recomputes probabilities). LoRA adds its two small matmuls and their three backward products; the
 * base weights get no gradient. Full fine-tuning adds every linear weight's gradient (another
 * 2·N·K·N_out each), the embedding frozen (and the lm_head with it when tied).
 */
export function trainStepFlops(cfg: ModelConfig, B: number, T: number, options: StepFlopsOptions): number {
  const N = B * T;
  const { hidden: C, intermediate: F, nHeads: H, nKvHeads: KV, headDim: D, vocabSize: V, nLayers: L } = cfg;
  const linearParams = C * H * D + 2 * C * KV * D + H * D * C + 3 * C * F;
  const r = options.mode === 'lora' ? (options.loraRank ?? 16) : 0;
  const loraParams = r * (C + H * D) + 2 * r * (C + KV * D) + r * (H * D + C) + 2 * r * (C + F) + r * (F + C);
  const attention = 2 * B * H * T * T * D; // causal QKᵀ and PV: half of the dense 4·B·H·T²·D
  const lmHead = 2 * N * C * V;
  const forward = L * (2 * N * linearParams + 2 * N * loraParams + attention) + lmHead;
  let backward = L * (2 * N * linearParams + 3 * 2 * N * loraParams + 2.5 * attention) + lmHead;
  if (options.mode === 'full') backward += L * 2 * N * linearParams + (cfg.tieWordEmbeddings ? 0 : lmHead);
  return forward + backward;
}
