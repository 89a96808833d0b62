// How the GR-SAP steps ask the model to write: a batch of conversations in, one text per
// conversation out. Self-responses and revise answer a user turn (the template rendered with the
// generation prompt); benign replay continues an open user turn (the model writes the user's
// request, Magpie-style). The steps take a ChatGenerator, so their logic is tested with a fake one;
// engineChatGenerator runs the real one: the chat template, then the engine's batched generate().

import { assertSequenceFitsWindow } from '../model/config';
import { generate, type FinishReason } from '../model/generate';
import { ChatTemplateError, renderWithPrefill, type ChatMessage, type ChatTemplate } from '../text/chat-template';
import { pcgHash } from '../util/hash';
import { stopIdsOf, type ChatModel } from './chat-model';

export type { ChatModel } from './chat-model';

export interface ChatPrompt {
  messages: ChatMessage[];
  /**
   * false: the model answers in a new assistant turn (generation prompt). true: the final message
   * stays open and the model continues it (an empty final user turn: the model writes a request).
   */
  continueFinal: boolean;
}

export interface GeneratedText {
  text: string; // the new tokens decoded, the end-of-turn token left out
  tokens: number; // new tokens, the end token included when produced
  finish: FinishReason; // 'eos' | 'stop' | 'length'
}

/** How one row samples (a subset of the engine's SamplingSettings; this layer may not import ops). */
export interface RowSampling {
  temperature: number; // 0 = greedy
  topP?: number; // nucleus; 1 or absent = off
  seed?: number; // u32
  place?: number; // the row index the draw is keyed by (default: its index in the call), so rows of several small batches generated in one call draw as they would have alone
}

export interface ChatGenerationOptions {
  maxNewTokens: number;
  sampling: RowSampling[]; // one per prompt, each with its own seed
  signal?: AbortSignal; // aborts the generation in flight
}

/** One completion per prompt, in order. The callers batch; one call is one batch. */
export type ChatGenerator = (prompts: readonly ChatPrompt[], options: ChatGenerationOptions) => Promise<GeneratedText[]>;

/** The prompt as text: the conversation with the generation prompt, or cut open after its final message. */
export function renderChatPrompt(template: ChatTemplate, prompt: ChatPrompt): string {
  return prompt.continueFinal ? renderWithPrefill(template, prompt.messages) : template.render(prompt.messages, { addGenerationPrompt: true });
}

/** The engine's generator: every prompt of a call goes into one left-padded generate() batch. */
export function engineChatGenerator(chat: ChatModel): ChatGenerator {
  const { tokenizer, template, cfg } = chat;
  if (!template) throw new ChatTemplateError(`${chat.id} has no chat template; GR-SAP asks the model in chat turns, so it needs a chat model (one whose tokenizer_config.json has a chat_template).`);
  const eosIds = stopIdsOf(chat);
  if (!eosIds.length) throw new Error(`${chat.id}: the tokenizer and config.json name no end-of-turn token, so a generated turn could never end; add eos_token_id to generation_config.json.`);
  return async (prompts, options) => {
    if (options.sampling.length !== prompts.length) throw new Error(`chat generation: ${options.sampling.length} sampling settings for ${prompts.length} prompts.`);
    if (!prompts.length) return [];
    const encoded = prompts.map((p, i) => {
      const ids = tokenizer.encode(renderChatPrompt(template, p), { addSpecialTokens: false });
      if (!ids.length) throw new Error(`chat generation: prompt ${i} renders to no tokens.`);
      assertSequenceFitsWindow(cfg, ids.length + options.maxNewTokens, `${chat.id}/config.json`);
      return ids;
    });
    const result = await generate(chat.model, encoded, { maxNewTokens: options.maxNewTokens, sampling: options.sampling, eosIds, signal: options.signal });
    return result.tokens.map((ids, b) => {
      const finish = result.finish[b];
      return { text: tokenizer.decode(finish === 'eos' ? ids.slice(0, -1) : ids), tokens: ids.length, finish };
    });
  };
}

/**
 * The sampling seed of row `index` of a step: each step has its own stream, so revise does not
 * redraw the self-response's random numbers when both are given the same seed. The engine's draw
 * also depends on the row's place in its batch (RowSampling.place), so sampled text changes with
 * the batch size, not with how many batches share a generate() call.
 */
export function rowSeed(seed: number, stream: number, index: number): number {
  return pcgHash((pcgHash((seed ^ stream) >>> 0) + index) >>> 0);
}

/**
 * Whole batches of `batchSize` per generate() call, for calls of at most `maxRows` prompts (at least
 * one batch). Rows sampled at their place in their own batch (RowSampling.place) write the text of
 * one call per batch; wider calls run faster (`bench/generate-batch.ts`).
 */
export function batchesPerCall(batchSize: number, maxRows: number): number {
  return Math.max(1, Math.floor(maxRows / batchSize));
}

/** Progress of a step, in rows finished. */
export interface StepProgress {
  done: number;
  total: number;
}

export function checkPositiveInteger(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${value}.`);
}

export function checkSampling(where: string, temperature: number, topP: number): void {
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new Error(`${where}: temperature must be a finite number ≥ 0, got ${temperature}.`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`${where}: topP must be in (0, 1], got ${topP}.`);
}
