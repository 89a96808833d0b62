// Filter 1: the perplexity band. A request the model finds very unlikely is usually garbled; one it
// finds very likely is usually degenerate (a loop, a stock phrase). The paper keeps the requests
// between the 5th and 95th percentile of perplexity under a separate small LM; here the model
// itself scores them, so the filter needs no second download, and it scores each request as the
// content of a user turn of its own chat template: the request as the model would meet it, which
// is the distribution the replay is meant to match (the query term of GR-SAP's KL split).

import { perplexity, scoreExamples } from '../../model/score';
import type { TokenizedExample } from '../../text/encode-dataset';
import { renderWithPrefill } from '../../text/chat-template';
import { padIdOf, type ChatModel } from '../chat-model';
import { filterResult, type FilterableRow, type FilterDecision, type FilterResult } from './filter';

export interface PerplexityBandSettings {
  lowPercentile: number; // 5: drop requests below this percentile of perplexity
  highPercentile: number; // 95: drop requests above this one
}

export const DEFAULT_PERPLEXITY_BAND: PerplexityBandSettings = { lowPercentile: 5, highPercentile: 95 };

/** The p-th percentile (0–100) of ascending values, interpolated linearly between ranks (numpy's default). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Keep the rows whose perplexity lies within [P_low, P_high] of the perplexities given (one per
 * row), edges included. A row without a finite perplexity (no token scored) is dropped as
 * 'unscorable' and takes no part in the percentiles.
 */
export function perplexityBand<R extends FilterableRow>(rows: readonly R[], perplexities: readonly number[], settings: Partial<PerplexityBandSettings> = {}): FilterResult<R> {
  const { lowPercentile, highPercentile } = { ...DEFAULT_PERPLEXITY_BAND, ...settings };
  if (!(lowPercentile >= 0 && lowPercentile <= highPercentile && highPercentile <= 100)) {
    throw new Error(`perplexity band: percentiles must satisfy 0 ≤ low ≤ high ≤ 100, got ${lowPercentile} and ${highPercentile}.`);
  }
  if (perplexities.length !== rows.length) throw new Error(`perplexity band: ${perplexities.length} perplexities for ${rows.length} rows.`);
  const sorted = perplexities.filter(Number.isFinite).sort((a, b) => a - b);
  const low = percentile(sorted, lowPercentile);
  const high = percentile(sorted, highPercentile);
  const decisions = perplexities.map((ppl): FilterDecision => {
    if (!Number.isFinite(ppl)) return { keep: false, reason: 'unscorable', score: null };
    if (ppl < low) return { keep: false, reason: 'perplexity-below-band', score: ppl };
    if (ppl > high) return { keep: false, reason: 'perplexity-above-band', score: ppl };
    return { keep: true, reason: null, score: ppl };
  });
  return filterResult('perplexity-band', rows, decisions, {
    lowPercentile,
    highPercentile,
    low: sorted.length ? low : null,
    high: sorted.length ? high : null,
  });
}

/** What scoring needs of a loaded model. */
export type ScoringModel = Pick<ChatModel, 'model' | 'tokenizer' | 'template'>;

/**
 * Each request as the model scores it: the template up to an open user turn as context (not
 * scored), then the request's tokens (scored). Without a template, the request alone with the
 * tokenizer's own special tokens (its first token is then scored only after a BOS).
 */
export function requestExample(loaded: ScoringModel, request: string): TokenizedExample {
  const { tokenizer, template } = loaded;
  const prefix = template ? tokenizer.encode(renderWithPrefill(template, [{ role: 'user', content: '' }]), { addSpecialTokens: false }) : [];
  const body = template ? tokenizer.encode(request, { addSpecialTokens: false }) : tokenizer.encode(request);
  const lossMask = new Uint8Array(prefix.length + body.length);
  lossMask.fill(1, prefix.length);
  return { ids: [...prefix, ...body], lossMask };
}

export interface ScoreRequestsOptions {
  batchSize?: number; // sequences per forward pass: 16
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Perplexity of each request under the model (requestExample), in input order; NaN where no token is scored. */
export async function requestPerplexities(loaded: ScoringModel, requests: readonly string[], options: ScoreRequestsOptions = {}): Promise<number[]> {
  if (!requests.length) return [];
  const examples = requests.map((r) => requestExample(loaded, r));
  const padId = padIdOf(loaded.tokenizer);
  const scores = await scoreExamples(loaded.model, examples, { batchSize: options.batchSize ?? 16, padId, signal: options.signal, onProgress: options.onProgress });
  return scores.map(perplexity);
}

/** Score the rows' requests with the model, then keep the perplexity band. */
export async function filterByPerplexity<R extends FilterableRow>(
  loaded: ScoringModel,
  rows: readonly R[],
  options: Partial<PerplexityBandSettings> & ScoreRequestsOptions = {},
): Promise<FilterResult<R>> {
  const perplexities = await requestPerplexities(loaded, rows.map((r) => r.request), options);
  return perplexityBand(rows, perplexities, options);
}
