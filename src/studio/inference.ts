// Text in, text or scores out, over a loaded model: batched generation from prompts (raw text or
// chat-rendered), and log-likelihood scoring of the assistant turns of chat examples. The CLI and
// the worker share these, so both see the same prompt rendering, stop tokens and masks.

import { assertSequenceFitsWindow } from '../model/config';
import { generate, type FinishReason } from '../model/generate';
import type { LoadedModel } from './load-model';
import { meanLoss, perplexity, scoreExamples, type CompletionScore } from '../model/score';

export { meanLoss };
import type { SamplingSettings } from '../ops/sampling';
import { pcgHash } from '../util/hash';
import { ChatTemplateError } from '../text/chat-template';
import type { ChatExample } from '../text/datasets';
import { encodeChatExamples, encodePrompt, type EncodeReport, type PromptInput } from '../text/encode-dataset';
import { padIdOf, stopIdsOf } from '../safety/chat-model';

export { padIdOf, stopIdsOf };

export interface TextGeneration {
  completion: string; // decoded new tokens, the final end-of-turn token left out
  tokens: number[]; // new token ids, end token included when produced
  finish: FinishReason; // 'eos' | 'stop' | 'length'
}

export interface GenerateTextOptions {
  chat: boolean; // render text prompts as a user turn with the chat template
  maxNewTokens: number; // 128
  sampling: SamplingSettings; // temperature 0 = greedy; the seed is varied per prompt (see below)
  batchSize: number; // prompts per generate() call
  signal?: AbortSignal;
  /** Called after each batch with the results of prompts [start, start + results.length). */
  onBatch?: (start: number, results: TextGeneration[]) => void;
}

/**
 * Generate a completion for each prompt, `batchSize` prompts at a time (left-padded, one KV cache).
 * Prompt i samples with seed hash(seed + i), so its draws do not repeat another prompt's; the
 * draw also depends on the row within the batch, so sampled (not greedy) output changes with the
 * batch size.
 */
export async function generateTexts(loaded: LoadedModel, prompts: readonly PromptInput[], options: GenerateTextOptions): Promise<TextGeneration[]> {
  const { tokenizer, cfg } = loaded;
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`generateTexts: batchSize must be a positive integer, got ${options.batchSize}.`);
  const template = options.chat ? loaded.template : null;
  if (options.chat && !template) throw new ChatTemplateError(`${loaded.id} has no chat template; generate from raw text instead.`);
  const encoded = prompts.map((p, i) => {
    if (typeof p !== 'string' && !loaded.template) throw new ChatTemplateError(`prompt ${i} is a conversation but ${loaded.id} has no chat template to render it.`);
    const ids = encodePrompt(tokenizer, typeof p === 'string' ? template : loaded.template, p);
    if (!ids.length) throw new Error(`prompt ${i} encodes to no tokens; give some text.`);
    assertSequenceFitsWindow(cfg, ids.length + options.maxNewTokens, `${loaded.id}/config.json`);
    return ids;
  });
  const eos = stopIdsOf(loaded);
  const out: TextGeneration[] = [];
  for (let start = 0; start < encoded.length; start += options.batchSize) {
    const batch = encoded.slice(start, start + options.batchSize);
    const sampling = batch.map((_, b) => ({ ...options.sampling, seed: pcgHash(((options.sampling.seed ?? 0) + start + b) >>> 0) }));
    const result = await generate(loaded.model, batch, { maxNewTokens: options.maxNewTokens, sampling, eosIds: eos, signal: options.signal });
    const texts = result.tokens.map((ids, b) => {
      const finish = result.finish[b];
      const shown = finish === 'eos' ? ids.slice(0, -1) : ids;
      return { completion: tokenizer.decode(shown), tokens: ids, finish };
    });
    out.push(...texts);
    options.onBatch?.(start, texts);
  }
  return out;
}

export interface ChatScore extends CompletionScore {
  index: number; // position of the example in the input (0-based)
  perplexity: number; // exp(−logprob / tokens)
}

export interface ScoreChatsOptions {
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Score the assistant tokens (content and end-of-turn token) of each chat example given everything
 * before them. Examples the template cannot mask, with no assistant turn, or longer than the
 * model's context are skipped and listed in the report.
 */
export async function scoreChats(loaded: LoadedModel, examples: readonly ChatExample[], options: ScoreChatsOptions): Promise<{ scores: ChatScore[]; report: EncodeReport }> {
  if (!loaded.template) throw new ChatTemplateError(`${loaded.id} has no chat template; scoring renders each conversation with it to find the assistant tokens.`);
  const limit = Math.min(loaded.cfg.maxPositionEmbeddings, loaded.cfg.slidingWindow ?? Infinity);
  const encoded = encodeChatExamples(loaded.tokenizer, loaded.template, examples, { skipLongerThan: limit });
  if (!encoded.examples.length) return { scores: [], report: encoded.report };
  const raw = await scoreExamples(loaded.model, encoded.examples, { batchSize: options.batchSize, padId: padIdOf(loaded.tokenizer), signal: options.signal, onProgress: options.onProgress });
  const scores = raw.map((s, i) => ({ index: encoded.sourceIndex[i], ...s, perplexity: perplexity(s) }));
  return { scores, report: encoded.report };
}
