// The README's tables of what training real models costs, as the engine estimates it: GPU memory
// (memoryEstimate: every buffer a step keeps, f32; buffer-pool rounding not counted) and compute
// (trainStepFlops: the step's matmuls), with the time that compute takes at an assumed sustained
// rate. The shapes are the models' published config.json values. Prints Markdown; nothing is
// measured.
//
//   node --import ./src/cli/register.mjs scripts/memory-table.ts [--batch 4] [--length 512] [--tflops 1]

import { parseArgs } from 'node:util';
import { memoryEstimate, parameterCount, parseModelConfig } from '../src/model/config';
import { trainStepFlops } from '../src/model/flops';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '4' }, length: { type: 'string', default: '512' }, tflops: { type: 'string', default: '1' } } });
const B = Number(values.batch);
const T = Number(values.length);
const TFLOPS = Number(values.tflops);

const llama = (hidden: number, intermediate: number, heads: number, kvHeads: number, layers: number, vocab: number, architecture = 'LlamaForCausalLM') => ({
  architectures: [architecture],
  hidden_size: hidden,
  intermediate_size: intermediate,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  num_hidden_layers: layers,
  vocab_size: vocab,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: true,
  max_position_embeddings: 8192,
  hidden_act: 'silu',
});

const MODELS = [
  { name: 'the embedded organism', config: llama(128, 344, 4, 4, 4, 2048) },
  { name: 'SmolLM2-135M-Instruct', config: llama(576, 1536, 9, 3, 30, 49152) },
  { name: 'SmolLM2-360M-Instruct', config: llama(960, 2560, 15, 5, 32, 49152) },
  { name: 'Qwen2.5-0.5B-Instruct', config: llama(896, 4864, 14, 2, 24, 151936, 'Qwen2ForCausalLM') },
  { name: 'Llama-3.2-1B-Instruct', config: llama(2048, 8192, 32, 8, 16, 128256) },
];

const GiB = 2 ** 30;
const gib = (bytes: number) => (bytes / GiB).toFixed(2);
const lines = [
  `| model | parameters | LoRA r 16, all linear layers | full fine-tuning (embedding frozen) | logits of one micro-batch |`,
  `|---|---|---|---|---|`,
];
for (const m of MODELS) {
  const cfg = parseModelConfig(m.config);
  const lora = memoryEstimate(cfg, { batch: B, seqLen: T, mode: 'lora', loraRank: 16 });
  const full = memoryEstimate(cfg, { batch: B, seqLen: T, mode: 'full' });
  const total = parameterCount(cfg).total;
  const params = total >= 1e8 ? `${(total / 1e6).toFixed(0)} M` : `${(total / 1e6).toFixed(2)} M`;
  lines.push(`| ${m.name} | ${params} | ${gib(lora.total)} GiB | ${gib(full.total)} GiB | ${gib(lora.logits)} GiB |`);
}
process.stdout.write(`Estimated GPU memory of one training step, ${B} sequences × ${T} tokens, f32:\n\n${lines.join('\n')}\n`);

// Compute per trained token at this shape, and minutes for 100k trained tokens (e.g. 400 examples of
// ~250 tokens, one epoch) at the assumed rate.
const TOKENS = 100_000;
const time = [
  `| model | GFLOP per trained token, LoRA / full | minutes for ${TOKENS / 1000}k trained tokens at ${TFLOPS} TFLOP/s, LoRA / full |`,
  `|---|---|---|`,
];
for (const m of MODELS) {
  const cfg = parseModelConfig(m.config);
  const perToken = (mode: 'lora' | 'full') => trainStepFlops(cfg, B, T, { mode, loraRank: 16 }) / (B * T);
  const minutes = (mode: 'lora' | 'full') => (perToken(mode) * TOKENS) / (TFLOPS * 1e12) / 60;
  const fmt = (v: number) => (v < 0.1 ? v.toFixed(3) : v < 10 ? v.toFixed(1) : v.toFixed(0));
  time.push(`| ${m.name} | ${fmt(perToken('lora') / 1e9)} / ${fmt(perToken('full') / 1e9)} | ${fmt(minutes('lora'))} / ${fmt(minutes('full'))} |`);
}
process.stdout.write(`\nEstimated compute of training, sequences of ${T} tokens, and its time at an assumed sustained ${TFLOPS} TFLOP/s (f32; not measured):\n\n${time.join('\n')}\n`);
