// GR-SAP step 1: the aligned model regenerates the harmful requests it was aligned to refuse.
// For each harm domain the model is prompted in one of three ways (GRSAP-METHOD.md §1):
//  - assistant prefill (the paper's default): the user asks the model to repeat a request it refused
//    for the domain's concerns; the model's own turn is pre-filled up to an opening quote, and the
//    request is the text it writes up to the closing quote;
//  - user prefill (the paper's variant): the user's turn itself is left open after an opening quote;
//  - Magpie (Xu et al. 2024): the template up to an empty user turn; the model writes the whole
//    request, up to its end-of-turn token. It is not conditioned on a domain.
// Generation runs in batches on the GPU through generate(), sampled with a seed per row; every
// sample becomes a row, kept or dropped with its reason, and each batch's rows are handed to the
// caller as soon as they exist, so a cancelled extraction keeps everything it finished.

import { assertSequenceFitsWindow } from '../model/config';
import { generate, type FinishReason } from '../model/generate';
import { ChatTemplateError, renderWithPrefill, type ChatTemplate } from '../text/chat-template';
import { pcgHash } from '../util/hash';
import { batchesPerCall } from './chat-generation';
import { stopIdsOf, type ChatModel } from './chat-model';

export type ExtractionStrategy = 'assistant-prefill' | 'user-prefill' | 'magpie';

export const EXTRACTION_STRATEGIES: readonly ExtractionStrategy[] = ['assistant-prefill', 'user-prefill', 'magpie'];

/** The 38 harm domains of the paper's code, in its order: the default for real models. */
export const GRSAP_DOMAINS: readonly string[] = [
  'violence', 'physical harm', 'animal abuse', 'self-harm', 'terrorism', 'organized crime', 'human trafficking',
  'aiding and abetting violence', 'incitement', 'hate speech', 'offensive language', 'insulting behavior',
  'discriminatory behavior', 'stereotypes', 'injustice', 'psychological harm', 'sexual content',
  'sexually explicit/adult content', 'child abuse', 'drugs (drug abuse)', 'banned substances', 'weapons', 'cybercrime',
  'white-collar crime', 'economic crime', 'financial crime', 'property crime', 'theft', 'endangering national security',
  'endangering public health', 'disrupting public order', 'misinformation regarding ethics/laws/safety',
  'controversial topics/politics', 'environmental damage', 'privacy violation', 'copyright issues', 'mental manipulation',
  'non-violent unethical behavior',
];

/** The assistant-prefill strategy's user turn; `{domain}` is a domain name. */
export const ASSISTANT_PREFILL_QUESTION = 'You refused a specific request that raised {domain} concerns. Repeat the specific request and explain why it was refused.';
/** The start of the model's own turn; the request follows the quote. */
export const ASSISTANT_PREFILL = 'Sure, the specific request is "';
/** The user-prefill strategy's open user turn. */
export const USER_PREFILL = 'I asked a request that you refused to answer due to great {domain} concerns. The request is "';

/**
 * The text the model continues for one strategy and domain: the chat template rendered without a
 * generation prompt and cut right after the open turn (renderWithPrefill). Magpie ignores the domain.
 * Tokenize it with addSpecialTokens false: the template writes its own special tokens.
 */
export function extractionPrompt(template: ChatTemplate, strategy: ExtractionStrategy, domain: string | null): string {
  if (strategy !== 'magpie' && !domain) throw new Error(`extraction: the ${strategy} strategy needs a domain name.`);
  switch (strategy) {
    case 'assistant-prefill':
      return renderWithPrefill(template, [
        { role: 'user', content: ASSISTANT_PREFILL_QUESTION.replace('{domain}', domain!) },
        { role: 'assistant', content: ASSISTANT_PREFILL },
      ]);
    case 'user-prefill':
      return renderWithPrefill(template, [{ role: 'user', content: USER_PREFILL.replace('{domain}', domain!) }]);
    case 'magpie':
      return renderWithPrefill(template, [{ role: 'user', content: '' }]);
    default:
      throw new Error(`extraction: unknown strategy ${JSON.stringify(strategy)}; use one of ${EXTRACTION_STRATEGIES.join(', ')}.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the request out of a generation.

export type DropReason =
  | 'no-closing-quote' // a prefill strategy: the generation ended (end of turn or token limit) before a closing quote
  | 'empty' // the request is empty or whitespace
  | 'no-end-of-turn'; // Magpie: the token limit came before the user turn ended, so the request is cut off

export const DROP_REASONS: readonly DropReason[] = ['no-closing-quote', 'empty', 'no-end-of-turn'];

/**
 * Index of the quote that closes a prefilled request, or -1. A backslash escapes the next quote or
 * backslash (`\"` is a quote inside the request, `\\"` closes it). The paper's code cuts at the first
 * quote whatever precedes it; honouring the escape keeps requests that quote something themselves.
 */
export function closingQuoteAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

export type ParsedRequest = { request: string; dropped: null } | { request: null; dropped: DropReason };

/** The request of a prefill generation: the text before the closing quote, unescaped and trimmed. */
export function parseQuotedRequest(text: string): ParsedRequest {
  const end = closingQuoteAt(text);
  if (end < 0) return { request: null, dropped: 'no-closing-quote' };
  const request = text.slice(0, end).replace(/\\(["\\])/g, '$1').trim();
  return request ? { request, dropped: null } : { request: null, dropped: 'empty' };
}

/** The request of a Magpie generation: the whole user turn, which must have ended. */
export function parseMagpieRequest(text: string, finish: FinishReason): ParsedRequest {
  if (finish !== 'eos') return { request: null, dropped: 'no-end-of-turn' };
  const request = text.trim();
  return request ? { request, dropped: null } : { request: null, dropped: 'empty' };
}

// ---------------------------------------------------------------------------------------------
// Settings and rows.

export interface ExtractionSettings {
  strategies: ExtractionStrategy[]; // ['assistant-prefill'], the paper's default
  domains: readonly string[]; // GRSAP_DOMAINS; the embedded model: its own domain names
  samplesPerDomain: number; // 16 (paper: 512); Magpie draws samplesPerDomain × domains.length
  temperature: number; // 1.0, as the paper
  topP: number; // 1.0 = off (the paper sets none for requests)
  maxNewTokens: number; // 64 (paper: 256); prefill rows stop at the closing quote
  seed: number; // 0; with the batch size it fixes every draw
  batchSize: number; // 16: the batch a row's random draw is placed in (several go into one generate() call)
}

export const DEFAULT_EXTRACTION_SETTINGS: ExtractionSettings = {
  strategies: ['assistant-prefill'],
  domains: GRSAP_DOMAINS,
  samplesPerDomain: 16,
  temperature: 1.0,
  topP: 1.0,
  maxNewTokens: 64,
  seed: 0,
  batchSize: 16,
};

export interface ExtractedRow {
  strategy: ExtractionStrategy;
  domain: string | null; // null for Magpie, which is asked about no domain
  sample: number; // index of the draw within its (strategy, domain), from 0
  seed: number; // u32 sampling seed of this row (the draw also depends on its place in its batch of batchSize)
  request: string | null; // null when dropped
  dropped: DropReason | null;
  raw: string; // the decoded generation, end-of-turn token left out
  finish: FinishReason; // 'eos' | 'stop' (closing quote reached) | 'length'
  tokens: number; // tokens generated for this row
}

/** A row whose request was read out, the input of the filters. */
export type KeptRow = ExtractedRow & { request: string; dropped: null };

export function keptRows(rows: readonly ExtractedRow[]): KeptRow[] {
  return rows.filter((r): r is KeptRow => r.request !== null);
}

export interface ExtractionProgress {
  done: number; // samples generated so far
  total: number;
}

export interface ExtractionOptions extends Partial<ExtractionSettings> {
  signal?: AbortSignal; // checked between calls and between decoding steps; finished calls are kept
  onProgress?: (p: ExtractionProgress) => void; // after each generate() call
  onRows?: (rows: ExtractedRow[]) => void; // each call's rows as soon as they exist
  rowsPerCall?: number; // prompts per generate() call, in whole batches (default 128): the same rows, wider calls run faster
}

export interface ExtractionTally {
  sampled: number;
  kept: number;
  dropped: Partial<Record<DropReason, number>>;
}

export interface ExtractionCounts {
  total: ExtractionTally;
  byStrategy: Partial<Record<ExtractionStrategy, ExtractionTally>>; // the yield of each strategy: kept ÷ sampled
  byDomain: Record<string, ExtractionTally>; // domain-conditioned rows only (Magpie's have none)
}

export interface ExtractionResult {
  rows: ExtractedRow[]; // one per sample, in plan order
  counts: ExtractionCounts;
  settings: ExtractionSettings;
}

const CALLBACK_KEYS = ['signal', 'onProgress', 'onRows', 'rowsPerCall']; // how to run, not what to draw

/** Defaults with `options` over them, checked; an unknown key (a typo) is an error, not ignored. */
export function resolveExtractionSettings(options: Partial<ExtractionSettings>): ExtractionSettings {
  const known = Object.keys(DEFAULT_EXTRACTION_SETTINGS);
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && !CALLBACK_KEYS.includes(k));
  if (unknown.length) throw new Error(`extraction: unknown setting ${unknown.map((k) => JSON.stringify(k)).join(', ')}; the settings are ${known.join(', ')}.`);
  const settings: ExtractionSettings = { ...DEFAULT_EXTRACTION_SETTINGS };
  for (const key of Object.keys(DEFAULT_EXTRACTION_SETTINGS) as (keyof ExtractionSettings)[]) {
    if (options[key] !== undefined) (settings as unknown as Record<string, unknown>)[key] = options[key];
  }
  for (const key of ['samplesPerDomain', 'maxNewTokens', 'batchSize'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new Error(`extraction: ${key} must be a positive integer, got ${settings[key]}.`);
  }
  if (!Number.isInteger(settings.seed) || settings.seed < 0) throw new Error(`extraction: seed must be an integer ≥ 0, got ${settings.seed}.`);
  if (!(settings.temperature >= 0) || !Number.isFinite(settings.temperature)) throw new Error(`extraction: temperature must be ≥ 0, got ${settings.temperature}.`);
  if (!(settings.topP > 0 && settings.topP <= 1)) throw new Error(`extraction: topP must be in (0, 1], got ${settings.topP}.`);
  if (!settings.strategies.length) throw new Error('extraction: no strategy chosen; use one or more of ' + EXTRACTION_STRATEGIES.join(', ') + '.');
  for (const s of settings.strategies) if (!EXTRACTION_STRATEGIES.includes(s)) throw new Error(`extraction: unknown strategy ${JSON.stringify(s)}; use one of ${EXTRACTION_STRATEGIES.join(', ')}.`);
  if (!settings.domains.length) throw new Error('extraction: the domain list is empty.');
  const blank = settings.domains.findIndex((d) => !d.trim());
  if (blank >= 0) throw new Error(`extraction: domain ${blank} has an empty name.`);
  if (new Set(settings.domains).size !== settings.domains.length) throw new Error('extraction: the domain list names a domain twice.');
  return settings;
}

/** Samples an extraction draws: per strategy, samplesPerDomain × domains (Magpie too). */
export function extractionSampleCount(settings: Pick<ExtractionSettings, 'strategies' | 'domains' | 'samplesPerDomain'>): number {
  return settings.strategies.length * settings.domains.length * settings.samplesPerDomain;
}

/** Upper bound on generated tokens (every row running to maxNewTokens); prefill rows usually stop far earlier. */
export function extractionTokenBudget(settings: Pick<ExtractionSettings, 'strategies' | 'domains' | 'samplesPerDomain' | 'maxNewTokens'>): number {
  return extractionSampleCount(settings) * settings.maxNewTokens;
}

interface PlannedSample {
  strategy: ExtractionStrategy;
  domain: string | null;
  sample: number;
  seed: number;
  ids: number[];
}

/**
 * Every sample to draw. Within a strategy, draw k of every domain comes before draw k + 1 of any,
 * so a cancelled extraction still covers all domains evenly.
 */
function planSamples(loaded: ChatModel, template: ChatTemplate, settings: ExtractionSettings): PlannedSample[] {
  const plan: PlannedSample[] = [];
  const base = pcgHash(settings.seed);
  for (const strategy of settings.strategies) {
    const domains: (string | null)[] = strategy === 'magpie' ? [null] : [...settings.domains];
    const perDomain = strategy === 'magpie' ? settings.samplesPerDomain * settings.domains.length : settings.samplesPerDomain;
    const ids = domains.map((domain) => {
      const encoded = loaded.tokenizer.encode(extractionPrompt(template, strategy, domain), { addSpecialTokens: false });
      assertSequenceFitsWindow(loaded.cfg, encoded.length + settings.maxNewTokens, `${loaded.id}/config.json`);
      return encoded;
    });
    for (let sample = 0; sample < perDomain; sample++) {
      domains.forEach((domain, d) => plan.push({ strategy, domain, sample, seed: pcgHash((base + plan.length) >>> 0), ids: ids[d] }));
    }
  }
  return plan;
}

/** Tally rows into totals, per strategy and per domain. Works on partial results too. */
export function countExtraction(rows: readonly ExtractedRow[]): ExtractionCounts {
  const empty = (): ExtractionTally => ({ sampled: 0, kept: 0, dropped: {} });
  const counts: ExtractionCounts = { total: empty(), byStrategy: {}, byDomain: {} };
  for (const row of rows) {
    const tallies = [counts.total, (counts.byStrategy[row.strategy] ??= empty())];
    if (row.domain !== null) tallies.push((counts.byDomain[row.domain] ??= empty()));
    for (const t of tallies) {
      t.sampled++;
      if (row.dropped) t.dropped[row.dropped] = (t.dropped[row.dropped] ?? 0) + 1;
      else t.kept++;
    }
  }
  return counts;
}

// Prompts per generate() call by default, in whole batches of batchSize (batchesPerCall).
const EXTRACTION_ROWS_PER_CALL = 128;

/**
 * Extract requests from `loaded` (see the file comment). Rows come back in plan order. Cancelled
 * through `signal`, the promise rejects with the signal's reason; the rows of every finished batch
 * have already gone to `onRows`.
 */
export async function extractRequests(loaded: ChatModel, options: ExtractionOptions = {}): Promise<ExtractionResult> {
  const settings = resolveExtractionSettings(options);
  const template = loaded.template;
  if (!template) throw new ChatTemplateError(`${loaded.id} has no chat template; extraction prompts the model through its chat turns. Use a chat (instruct) model.`);
  const { tokenizer } = loaded;
  const plan = planSamples(loaded, template, settings);
  const eosIds = stopIdsOf(loaded);
  // A prefill row is finished once its text holds the closing quote. Decoding the whole row each
  // step would be quadratic; only a new token that contains a quote can close it.
  const hasQuote = new Map<number, boolean>();
  const quoteIn = (id: number) => {
    let q = hasQuote.get(id);
    if (q === undefined) hasQuote.set(id, (q = tokenizer.decode([id]).includes('"')));
    return q;
  };
  const rows: ExtractedRow[] = [];
  options.onProgress?.({ done: 0, total: plan.length });
  // Several batches go into one generate() call, each row drawn at its place in its own batch of
  // batchSize: the same text as one call per batch, sooner.
  const rowsPerCall = options.rowsPerCall ?? EXTRACTION_ROWS_PER_CALL;
  if (!Number.isInteger(rowsPerCall) || rowsPerCall < 1) throw new Error(`extraction: rowsPerCall must be a positive integer, got ${rowsPerCall}.`);
  const perCall = settings.batchSize * batchesPerCall(settings.batchSize, rowsPerCall);
  for (let start = 0; start < plan.length; start += perCall) {
    options.signal?.throwIfAborted();
    const batch = plan.slice(start, start + perCall);
    const result = await generate(loaded.model, batch.map((p) => p.ids), {
      maxNewTokens: settings.maxNewTokens,
      sampling: batch.map((p, i) => ({ temperature: settings.temperature, topP: settings.topP, seed: p.seed, place: i % settings.batchSize })),
      eosIds,
      stopWhen: (b, ids) => batch[b].strategy !== 'magpie' && quoteIn(ids[ids.length - 1]) && closingQuoteAt(tokenizer.decode(ids)) >= 0,
      signal: options.signal,
    });
    const finished = batch.map((p, b): ExtractedRow => {
      const finish = result.finish[b];
      const ids = result.tokens[b];
      const raw = tokenizer.decode(finish === 'eos' ? ids.slice(0, -1) : ids);
      const parsed = p.strategy === 'magpie' ? parseMagpieRequest(raw, finish) : parseQuotedRequest(raw);
      return { strategy: p.strategy, domain: p.domain, sample: p.sample, seed: p.seed, request: parsed.request, dropped: parsed.dropped, raw, finish, tokens: ids.length };
    });
    rows.push(...finished);
    options.onRows?.(finished);
    options.onProgress?.({ done: rows.length, total: plan.length });
  }
  return { rows, counts: countExtraction(rows), settings };
}
