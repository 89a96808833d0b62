// Chat templates (the Jinja source in tokenizer_config.json) rendered with `@huggingface/jinja`, the
// completion-only training mask (which tokens are the assistant's), and the open-turn "prefill"
// rendering that GR-SAP's extraction step uses.

import { Template } from '@huggingface/jinja';
import type { TextTokenizer } from './tokenizer';

export interface ChatMessage {
  role: string; // 'system' | 'user' | 'assistant' (templates may know others, e.g. 'tool')
  content: string;
}

export interface RenderOptions {
  addGenerationPrompt?: boolean; // end with the header of a new assistant turn; default false
  [extra: string]: unknown; // further template variables: tools, date_string, enable_thinking, …
}

export class ChatTemplateError extends Error {
  constructor(message: string) {
    super(`chat template: ${message}`);
    this.name = 'ChatTemplateError';
  }
}

/** A parsed chat template plus the special-token strings it refers to (bos_token, eos_token, …). */
export class ChatTemplate {
  private readonly template: Template;
  private readonly tokens: Record<string, string>;

  constructor(source: string, specialTokens: { bosToken?: string | null; eosToken?: string | null; padToken?: string | null; unkToken?: string | null } = {}) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new ChatTemplateError(`could not be parsed (${(e as Error).message}).`);
    }
    // Only defined tokens are passed, as transformers does: a template testing `bos_token is defined` must see the truth.
    const tokens: Record<string, string> = {};
    const named = { bos_token: specialTokens.bosToken, eos_token: specialTokens.eosToken, pad_token: specialTokens.padToken, unk_token: specialTokens.unkToken };
    for (const [k, v] of Object.entries(named)) if (typeof v === 'string') tokens[k] = v;
    this.tokens = tokens;
  }

  static fromTokenizer(tokenizer: TextTokenizer): ChatTemplate {
    if (tokenizer.chatTemplate === null) {
      throw new ChatTemplateError('the checkpoint has none (no chat_template in tokenizer_config.json, no chat_template.jinja); choose a base template.');
    }
    return new ChatTemplate(tokenizer.chatTemplate, tokenizer);
  }

  /** The conversation as the model sees it. raise_exception and strftime_now come from the Jinja runtime. */
  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    const { addGenerationPrompt = false, ...extra } = options;
    try {
      return this.template.render({
        ...this.tokens,
        ...extra,
        messages: messages.map((m) => ({ ...m })),
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (e) {
      throw new ChatTemplateError(`rendering ${messages.length} messages failed: ${(e as Error).message}`);
    }
  }
}

export function renderChat(tokenizer: TextTokenizer, messages: readonly ChatMessage[], options: RenderOptions = {}): string {
  return ChatTemplate.fromTokenizer(tokenizer).render(messages, options);
}

// ---------------------------------------------------------------------------------------------
// Completion-only mask.

export interface MaskedChat {
  text: string; // the whole rendered conversation
  ids: number[]; // T token ids (no post-processor specials: the template writes its own)
  mask: Uint8Array; // T flags, 1 where the token belongs to an assistant turn (content + end token)
  sameAsWholeEncoding: boolean; // whether encoding `text` in one piece gives the same ids
}

/**
 * Render `messages` and mark the tokens of every assistant turn, from the end of the generation
 * prompt through the first end-of-turn token (any of tokenizer.eosTokens) after the content.
 * Boundaries come from rendering prefixes: the conversation up to an assistant turn with the
 * generation prompt must be a prefix of the conversation including that turn, which must be a prefix
 * of the whole. Templates that rewrite history (drop earlier reasoning, move the system prompt)
 * break this and are refused with ChatTemplateError rather than masked wrongly.
 * The text is tokenized piece by piece at those boundaries, so no token straddles a boundary;
 * this is also how generation sees it (prompt tokens, then the model's own tokens).
 */
export function encodeChatWithAssistantMask(
  tokenizer: TextTokenizer,
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: Omit<RenderOptions, 'addGenerationPrompt'> = {},
): MaskedChat {
  const text = template.render(messages, { ...options, addGenerationPrompt: false });
  const endTokens = tokenizer.eosTokens;
  const spans: [number, number][] = []; // [start, end) character ranges to train on
  let covered = 0;
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    const before = template.render(messages.slice(0, i), { ...options, addGenerationPrompt: true });
    const after = template.render(messages.slice(0, i + 1), { ...options, addGenerationPrompt: false });
    if (!after.startsWith(before)) throw notPrefixStable(i, before, after, 'up to this turn with the generation prompt', 'through this turn');
    if (!text.startsWith(after)) throw notPrefixStable(i, after, text, 'through this turn', 'of the whole conversation');
    if (before.length < covered) throw new ChatTemplateError(`message ${i} (assistant) renders before the end of the previous assistant turn.`);
    const turn = after.slice(before.length);
    spans.push([before.length, before.length + turnEnd(turn, message.content, endTokens)]);
    covered = after.length;
  });

  const ids: number[] = [];
  const maskBits: number[] = [];
  const pushPiece = (start: number, end: number, flag: number) => {
    if (end <= start) return;
    for (const id of tokenizer.encode(text.slice(start, end), { addSpecialTokens: false })) {
      ids.push(id);
      maskBits.push(flag);
    }
  };
  let at = 0;
  for (const [start, end] of spans) {
    pushPiece(at, start, 0);
    pushPiece(start, end, 1);
    at = end;
  }
  pushPiece(at, text.length, 0);
  const whole = tokenizer.encode(text, { addSpecialTokens: false });
  const sameAsWholeEncoding = whole.length === ids.length && whole.every((id, k) => id === ids[k]);
  return { text, ids, mask: Uint8Array.from(maskBits), sameAsWholeEncoding };
}

/**
 * Length of the trainable part of one rendered assistant turn: through the first end token after
 * the content. A template that writes no end token (rare) has the whole turn trained on.
 */
function turnEnd(turn: string, content: string, endTokens: readonly string[]): number {
  const trimmed = content.trim();
  const contentAt = trimmed === '' ? -1 : turn.indexOf(trimmed);
  const searchFrom = contentAt >= 0 ? contentAt + trimmed.length : 0;
  let best = -1;
  let bestLength = 0;
  for (const token of endTokens) {
    const at = turn.indexOf(token, searchFrom);
    if (at >= 0 && (best < 0 || at < best)) [best, bestLength] = [at, token.length];
  }
  return best < 0 ? turn.length : best + bestLength;
}

function notPrefixStable(index: number, shorter: string, longer: string, shorterName: string, longerName: string): ChatTemplateError {
  let at = 0;
  while (at < shorter.length && at < longer.length && shorter[at] === longer[at]) at++;
  return new ChatTemplateError(
    `not prefix-stable at message ${index} (assistant): the rendering ${shorterName} is not a prefix of the rendering ${longerName} ` +
      `(from character ${at}: ${JSON.stringify(shorter.slice(at, at + 40))} versus ${JSON.stringify(longer.slice(at, at + 40))}); ` +
      'completion-only masks need a template that appends turns without rewriting earlier text.',
  );
}

// ---------------------------------------------------------------------------------------------
// Prefill: leave the final turn open so the model continues it.

// Appended to the open turn's content to find where that content ends in the rendering: a template
// may trim or wrap content, and searching for the prefill text itself could hit template text.
const CONTENT_END_MARK = '\u0000\u0001grsap-prefill-end\u0001\u0000';

/**
 * The conversation rendered without a generation prompt and cut right after the content of its
 * final message, which stays open: with a final assistant message `Sure, the specific request is "`
 * the model continues its own turn ("assistant prefill"); with a final user message it continues
 * the user's text ("user prefill"). Tokenize the result with addSpecialTokens false.
 */
export function renderWithPrefill(template: ChatTemplate, messages: readonly ChatMessage[], options: Omit<RenderOptions, 'addGenerationPrompt'> = {}): string {
  if (messages.length === 0) throw new ChatTemplateError('prefill needs at least one message (the open turn).');
  const last = messages[messages.length - 1];
  const marked = [...messages.slice(0, -1), { ...last, content: last.content + CONTENT_END_MARK }];
  const text = template.render(marked, { ...options, addGenerationPrompt: false });
  const cut = text.indexOf(CONTENT_END_MARK);
  if (cut < 0 || text.indexOf(CONTENT_END_MARK, cut + 1) >= 0) {
    throw new ChatTemplateError(`cannot find where the final ${last.role} message ends in the rendering (the template transforms its content), so it cannot be left open for a prefill.`);
  }
  return text.slice(0, cut);
}
