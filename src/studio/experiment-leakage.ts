// Two comparisons of replay requests with other prompts, by the near-duplicate filter's own measure
// (safety/filters/near-duplicates.ts: normalised text equal → exact; Jaccard of word 2-shingles ≥
// the threshold → near):
//   leakage            replay requests that match evaluation prompts: a replay pool containing the
//                      test set flatters GR-SAP (a prototype found 19–59 word-for-word copies);
//   replay vs original the share of replay requests that near-duplicate a request of the original
//                      alignment data, per domain: the paper's claim that replay regenerates data
//                      close to the alignment data, measured (the rest are new requests).

import { DEFAULT_NEAR_DUPLICATES, normalizeRequest, wordShingles } from '../safety/filters/near-duplicates';
import type { ReplayRequest } from '../safety/replay-pair';

export interface Match {
  request: string;
  matched: string; // the prompt it matches
  similarity: number; // 1 for exact
}

/** An index of prompts for exact and near matches (inverted by shingle, so a lookup is cheap). */
export class PromptIndex {
  private readonly exact = new Map<string, string>();
  private readonly shingles: Set<string>[] = [];
  private readonly texts: string[] = [];
  private readonly postings = new Map<string, number[]>();

  constructor(prompts: Iterable<string>) {
    for (const prompt of prompts) {
      const text = normalizeRequest(prompt);
      if (this.exact.has(text)) continue;
      this.exact.set(text, prompt);
      const i = this.texts.length;
      const set = wordShingles(text);
      this.texts.push(prompt);
      this.shingles.push(set);
      for (const s of set) {
        const list = this.postings.get(s);
        if (list) list.push(i);
        else this.postings.set(s, [i]);
      }
    }
  }

  get size(): number {
    return this.texts.length;
  }

  /** The best match of `request`: exact when the normalised texts are equal, else the highest Jaccard similarity (null when nothing shares a shingle). */
  best(request: string): Match | null {
    const text = normalizeRequest(request);
    const same = this.exact.get(text);
    if (same !== undefined) return { request, matched: same, similarity: 1 };
    const mine = wordShingles(text);
    const shared = new Map<number, number>();
    for (const s of mine) for (const k of this.postings.get(s) ?? []) shared.set(k, (shared.get(k) ?? 0) + 1);
    let best: Match | null = null;
    for (const [k, n] of shared) {
      const similarity = n / (mine.size + this.shingles[k].size - n);
      if (!best || similarity > best.similarity) best = { request, matched: this.texts[k], similarity };
    }
    return best;
  }
}

export interface LeakageReport {
  threshold: number; // near: Jaccard ≥ this
  requests: number; // distinct replay requests checked
  evalPrompts: number; // distinct evaluation prompts
  exact: number;
  near: number; // near but not exact
  examples: Match[]; // the first few, exact first
}

const distinct = (requests: readonly string[]) => [...new Map(requests.map((r) => [normalizeRequest(r), r])).values()];

/** Replay requests that equal or nearly equal an evaluation prompt. */
export function leakage(replayRequests: readonly string[], evalPrompts: readonly string[], threshold = DEFAULT_NEAR_DUPLICATES.threshold, keep = 5): LeakageReport {
  const index = new PromptIndex(evalPrompts);
  const requests = distinct(replayRequests);
  const exact: Match[] = [];
  const near: Match[] = [];
  for (const r of requests) {
    const m = index.best(r);
    if (!m) continue;
    if (m.similarity === 1 && normalizeRequest(m.matched) === normalizeRequest(r)) exact.push(m);
    else if (m.similarity >= threshold) near.push(m);
  }
  return { threshold, requests: requests.length, evalPrompts: index.size, exact: exact.length, near: near.length, examples: [...exact, ...near].slice(0, keep) };
}

export interface DomainCloseness {
  domain: string;
  requests: number; // distinct replay requests of the domain
  nearOriginal: number; // exact or near matches of an alignment-data request (any domain)
  share: number | null; // 100 × nearOriginal / requests
}

export interface ReplayVsOriginal {
  threshold: number;
  alignmentRequests: number;
  requests: number;
  nearOriginal: number;
  share: number | null;
  byDomain: DomainCloseness[]; // in order of first appearance
}

/** How many replay requests near-duplicate the original alignment data's requests, per domain. */
export function replayVsOriginal(replay: readonly ReplayRequest[], alignment: readonly ReplayRequest[], threshold = DEFAULT_NEAR_DUPLICATES.threshold): ReplayVsOriginal {
  const index = new PromptIndex(alignment.map((a) => a.request));
  const seen = new Set<string>();
  const byDomain = new Map<string, DomainCloseness>();
  for (const r of replay) {
    const key = normalizeRequest(r.request);
    if (seen.has(key)) continue;
    seen.add(key);
    const d = byDomain.get(r.domain) ?? { domain: r.domain, requests: 0, nearOriginal: 0, share: null };
    byDomain.set(r.domain, d);
    d.requests++;
    const m = index.best(r.request);
    if (m && m.similarity >= threshold) d.nearOriginal++;
  }
  const domains = [...byDomain.values()].map((d) => ({ ...d, share: d.requests ? (100 * d.nearOriginal) / d.requests : null }));
  const requests = domains.reduce((n, d) => n + d.requests, 0);
  const nearOriginal = domains.reduce((n, d) => n + d.nearOriginal, 0);
  return { threshold, alignmentRequests: index.size, requests, nearOriginal, share: requests ? (100 * nearOriginal) / requests : null, byDomain: domains };
}
