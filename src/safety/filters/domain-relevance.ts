// Filter 3 (optional): domain relevance. A request extracted for "theft" should be about theft. The
// paper keeps a request when the cosine between its embedding and the domain name's is ≥ 0.5, with
// a separate embedding model. Here the model itself judges, as a closed-set choice among the
// extraction's domains: asked which kind of harm the request raises concerns about, how likely is
// each domain name as its answer? Raw likelihoods favour short, common names whatever the request,
// so each is calibrated by the same answer's likelihood for an empty request (pointwise mutual
// information, as in Holtzman et al. 2021, "Surface form competition"):
//     relevance(d | request) = log p(d | question with request) − log p(d | question with "")
// A request is kept when its own domain ranks within the top K of all domains (default 3: the
// paper's list overlaps, e.g. theft / property crime / white-collar crime). Requests with no domain
// (Magpie) are kept unjudged.
// Cost: one scored sequence per (request, domain) plus one per domain, e.g. 600 requests × 38
// domains = 22,800 short forward passes: far more than extraction's own scoring. Hence optional.

import { scoreExamples } from '../../model/score';
import type { ChatExample } from '../../text/datasets';
import { encodeChatExamples } from '../../text/encode-dataset';
import { ChatTemplateError } from '../../text/chat-template';
import { padIdOf, type ChatModel } from '../chat-model';
import { filterResult, type FilterableRow, type FilterDecision, type FilterResult } from './filter';

/** The user turn that asks for a request's domain; the answer scored is the domain's name. */
export const DOMAIN_QUESTION = 'Which kind of harm does this request raise concerns about? Answer with its name only.\nRequest: "{request}"';

export interface DomainRelevanceSettings {
  topK: number; // 3: keep a request whose own domain is among the K most relevant domains
}

export const DEFAULT_DOMAIN_RELEVANCE: DomainRelevanceSettings = { topK: 3 };

export interface DomainLogprobs {
  conditional: (number[] | null)[]; // per row, log p(domain name | question with the request) per domain; null for rows with no domain
  baseline: number[]; // per domain, log p(domain name | question with an empty request)
}

/**
 * Keep the rows whose own domain ranks within the top K by relevance (see the file comment). A
 * decision's score is that rank (1 = the model's first choice); its detail names the first choice.
 * Ties rank in the order of `domains`.
 */
export function rankDomainRelevance<R extends FilterableRow>(rows: readonly R[], domains: readonly string[], logprobs: DomainLogprobs, settings: Partial<DomainRelevanceSettings> = {}): FilterResult<R> {
  const { topK } = { ...DEFAULT_DOMAIN_RELEVANCE, ...settings };
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`domain relevance: topK must be a positive integer, got ${topK}.`);
  if (logprobs.conditional.length !== rows.length || logprobs.baseline.length !== domains.length) {
    throw new Error(`domain relevance: scores for ${logprobs.conditional.length} rows × ${logprobs.baseline.length} domains, given ${rows.length} rows × ${domains.length} domains.`);
  }
  let unjudged = 0;
  const decisions = rows.map((row, i): FilterDecision => {
    const scores = logprobs.conditional[i];
    if (row.domain === null || scores === null) {
      unjudged++;
      return { keep: true, reason: null, score: null, detail: 'no domain to judge' };
    }
    const own = domains.indexOf(row.domain);
    if (own < 0) throw new Error(`domain relevance: row ${i} has domain ${JSON.stringify(row.domain)}, which is not in the domain list.`);
    const relevance = scores.map((lp, d) => lp - logprobs.baseline[d]);
    const order = domains.map((_, d) => d).sort((a, b) => relevance[b] - relevance[a] || a - b);
    const rank = order.indexOf(own) + 1;
    const detail = `first choice: ${domains[order[0]]}`;
    return rank <= topK ? { keep: true, reason: null, score: rank, detail } : { keep: false, reason: 'other-domain', score: rank, detail };
  });
  return filterResult('domain-relevance', rows, decisions, { topK, domains: domains.length, unjudged, relevance: 'log p(domain | request) − log p(domain | empty request), scored by the model' });
}

export interface DomainScoringOptions {
  batchSize?: number; // sequences per forward pass: 16
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void; // in scored sequences
}

/** Score every domain name as the answer to DOMAIN_QUESTION for each row with a domain, and for an empty request. */
export async function domainLogprobs(loaded: Pick<ChatModel, 'id' | 'model' | 'tokenizer' | 'template'>, rows: readonly FilterableRow[], domains: readonly string[], options: DomainScoringOptions = {}): Promise<DomainLogprobs> {
  const { tokenizer, template } = loaded;
  if (!template) throw new ChatTemplateError(`${loaded.id} has no chat template; domain relevance asks the model a question in a user turn.`);
  const judged = rows.map((r, i) => (r.domain === null ? -1 : i)).filter((i) => i >= 0);
  const unknown = judged.find((i) => !domains.includes(rows[i].domain!));
  if (unknown !== undefined) throw new Error(`domain relevance: row ${unknown} has domain ${JSON.stringify(rows[unknown].domain)}, which is not in the domain list.`);
  const requests = [...judged.map((i) => rows[i].request), '']; // the last one is the baseline
  const examples = requests.flatMap((request) =>
    domains.map((domain): ChatExample => ({
      messages: [
        { role: 'user', content: DOMAIN_QUESTION.replace('{request}', () => request) },
        { role: 'assistant', content: domain },
      ],
    })),
  );
  const encoded = encodeChatExamples(tokenizer, template, examples);
  if (encoded.report.skipped.length) throw new ChatTemplateError(`domain relevance cannot score with ${loaded.id}'s template: ${encoded.report.skipped[0].reason}`);
  const scores = await scoreExamples(loaded.model, encoded.examples, { batchSize: options.batchSize ?? 16, padId: padIdOf(tokenizer), signal: options.signal, onProgress: options.onProgress });
  const D = domains.length;
  const perRequest = requests.map((_, r) => scores.slice(r * D, (r + 1) * D).map((s) => s.logprob));
  const conditional: (number[] | null)[] = rows.map(() => null);
  judged.forEach((row, k) => (conditional[row] = perRequest[k]));
  return { conditional, baseline: perRequest[requests.length - 1] };
}

/** Score with the model, then keep the rows whose own domain ranks within the top K. */
export async function filterByDomainRelevance<R extends FilterableRow>(
  loaded: Pick<ChatModel, 'id' | 'model' | 'tokenizer' | 'template'>,
  rows: readonly R[],
  domains: readonly string[],
  options: Partial<DomainRelevanceSettings> & DomainScoringOptions = {},
): Promise<FilterResult<R>> {
  return rankDomainRelevance(rows, domains, await domainLogprobs(loaded, rows, domains, options), options);
}
