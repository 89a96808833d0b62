// Chat examples → token ids with completion-only masks, for training, scoring and eval; plus the
// token ids of a generation prompt. Shared by the CLI and the browser worker. Examples that cannot
// be used are skipped and reported by index with the reason, never dropped silently.

import { ChatTemplateError, encodeChatWithAssistantMask, type ChatMessage, type ChatTemplate } from './chat-template';
import type { ChatExample } from './datasets';
import type { TextTokenizer } from './tokenizer';

export interface TokenizedExample {
  ids: number[]; // token ids of the rendered conversation
  lossMask: ArrayLike<number>; // 1 where the token is assistant content the model must learn to produce
}


export interface SkippedExample {
  index: number; // position in the input list (0-based)
  reason: string; // e.g. 'no assistant turn to learn from'
}

export interface EncodeReport {
  total: number; // examples given
  encoded: number; // examples kept
  skipped: SkippedExample[];
  splitEncoded: number; // kept examples whose piecewise ids differ from encoding the whole text (informational)
}

export interface EncodedDataset {
  examples: TokenizedExample[]; // ids and lossMask (1 on assistant tokens, end-of-turn token included)
  sourceIndex: number[]; // examples[i] came from input example sourceIndex[i]
  report: EncodeReport;
}

export interface EncodeDatasetOptions {
  /** Skip (rather than truncate) examples longer than this; scores of truncated text would mislead. */
  skipLongerThan?: number;
}

/**
 * Render each example with the chat template and mark its assistant tokens. Skipped: examples the
 * template cannot render prefix-stably, with no assistant content, or over `skipLongerThan`.
 */
export function encodeChatExamples(tokenizer: TextTokenizer, template: ChatTemplate, examples: readonly ChatExample[], options: EncodeDatasetOptions = {}): EncodedDataset {
  const out: TokenizedExample[] = [];
  const sourceIndex: number[] = [];
  const skipped: SkippedExample[] = [];
  let splitEncoded = 0;
  examples.forEach((example, index) => {
    let encoded;
    try {
      encoded = encodeChatWithAssistantMask(tokenizer, template, example.messages);
    } catch (e) {
      if (!(e instanceof ChatTemplateError)) throw e;
      skipped.push({ index, reason: e.message });
      return;
    }
    // A token counts only with a token before it to predict it from (position 0 has no prefix).
    let learned = 0;
    for (let t = 1; t < encoded.ids.length; t++) learned += encoded.mask[t];
    if (!learned) {
      skipped.push({ index, reason: 'no assistant turn to learn from or score (the last message should be the assistant\'s)' });
      return;
    }
    if (options.skipLongerThan !== undefined && encoded.ids.length > options.skipLongerThan) {
      skipped.push({ index, reason: `${encoded.ids.length} tokens, longer than the limit of ${options.skipLongerThan}` });
      return;
    }
    if (!encoded.sameAsWholeEncoding) splitEncoded++;
    out.push({ ids: encoded.ids, lossMask: encoded.mask });
    sourceIndex.push(index);
  });
  return { examples: out, sourceIndex, report: { total: examples.length, encoded: out.length, skipped, splitEncoded } };
}

/** One line per skipped example (the first `limit`; [index] counts from 0), then a count of the rest. */
export function describeSkipped(report: EncodeReport, limit = 10): string[] {
  const lines = report.skipped.slice(0, limit).map((s) => `example [${s.index}] skipped: ${s.reason}`);
  if (report.skipped.length > limit) lines.push(`… and ${report.skipped.length - limit} more skipped`);
  return lines;
}

/** A generation prompt: plain text, or a conversation that the model's next turn answers. */
export type PromptInput = string | readonly ChatMessage[];

/**
 * Token ids of a prompt. With a template, text becomes one user turn; a conversation is rendered
 * as is; both end with the generation prompt (the header of the assistant's turn). Without a
 * template the text is encoded raw, with the tokenizer's own special tokens (e.g. BOS).
 */
export function encodePrompt(tokenizer: TextTokenizer, template: ChatTemplate | null, prompt: PromptInput): number[] {
  if (!template) {
    if (typeof prompt !== 'string') throw new ChatTemplateError('a conversation prompt needs the model\'s chat template, and this model has none.');
    return tokenizer.encode(prompt);
  }
  const messages = typeof prompt === 'string' ? [{ role: 'user', content: prompt }] : prompt;
  const text = template.render(messages, { addGenerationPrompt: true });
  return tokenizer.encode(text, { addSpecialTokens: false });
}
