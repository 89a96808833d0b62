// Filter 2: near-duplicates. Sampling one prompt hundreds of times repeats itself; a replay set full
// of copies of one request teaches that request, not the domain. A request is dropped when it is the
// same as an earlier kept one after normalisation ('exact-duplicate'), or when its similarity to an
// earlier kept one reaches the threshold ('near-duplicate'). Rows are visited in input order, so the
// first of a group is the one kept.
//
// The similarity is the Jaccard index of the two requests' sets of word 2-shingles (w-shingling,
// Broder 1997), computed exactly. Why this and not the paper's cosine of sentence embeddings:
//  - it needs no second model and no extra forward pass, and gives the same answer for the same
//    text whatever model generated it, so replay sets of two models are filtered alike;
//  - exact Jaccard with an inverted index is cheap at browser scale (thousands of requests), so no
//    MinHash approximation is needed and the filter stays exactly reproducible;
//  - word pairs keep word order ("a robs b" is not "b robs a") and are blind to case, punctuation
//    and spacing, which is where sampled copies of one request usually differ.
// The price: it sees wording, not meaning. At 0.85 it drops near-verbatim copies (the same request
// with a word added at an end), not paraphrases, which an embedding cosine of 0.85 would also drop;
// lower the threshold (0.5–0.7) for a stricter filter.

import { filterResult, type FilterableRow, type FilterDecision, type FilterResult } from './filter';

export interface NearDuplicateSettings {
  threshold: number; // 0.85: drop a request whose Jaccard similarity to an earlier kept one is ≥ this
}

export const DEFAULT_NEAR_DUPLICATES: NearDuplicateSettings = { threshold: 0.85 };

/** Lower case, NFKC, letters and digits only, single spaces: the text the comparison sees. */
export function normalizeRequest(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Word 2-shingles of normalised text; a one-word text is its one word, an empty text has none. */
export function wordShingles(normalized: string): Set<string> {
  const words = normalized ? normalized.split(' ') : [];
  if (words.length < 2) return new Set(words);
  const out = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) out.add(`${words[i]} ${words[i + 1]}`);
  return out;
}

/** |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (!a.size && !b.size) return 1;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Drop exact and near-duplicate requests (see the file comment). A decision's score is the row's
 * highest similarity to a row kept before it (0 when nothing before shares a shingle); a dropped
 * row's detail names the kept row it repeats.
 */
export function dropNearDuplicates<R extends FilterableRow>(rows: readonly R[], settings: Partial<NearDuplicateSettings> = {}): FilterResult<R> {
  const { threshold } = { ...DEFAULT_NEAR_DUPLICATES, ...settings };
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`near-duplicates: threshold must be in (0, 1], got ${threshold}.`);
  const keptText = new Map<string, number>(); // normalised text → index of the kept row
  const keptShingles: Set<string>[] = []; // by row index; only kept rows are filled
  const postings = new Map<string, number[]>(); // shingle → kept rows holding it
  const decisions = rows.map((row, i): FilterDecision => {
    const text = normalizeRequest(row.request);
    const same = keptText.get(text);
    if (same !== undefined) return { keep: false, reason: 'exact-duplicate', score: 1, detail: `same as row ${same}` };
    const shingles = wordShingles(text);
    const shared = new Map<number, number>(); // kept row → shingles in common
    for (const s of shingles) for (const k of postings.get(s) ?? []) shared.set(k, (shared.get(k) ?? 0) + 1);
    let best = 0;
    let bestRow = -1;
    for (const [k, n] of shared) {
      const similarity = n / (shingles.size + keptShingles[k].size - n);
      if (similarity > best || (similarity === best && k < bestRow)) [best, bestRow] = [similarity, k];
    }
    if (best >= threshold) return { keep: false, reason: 'near-duplicate', score: best, detail: `like row ${bestRow}` };
    keptText.set(text, i);
    keptShingles[i] = shingles;
    for (const s of shingles) {
      const list = postings.get(s);
      if (list) list.push(i);
      else postings.set(s, [i]);
    }
    return { keep: true, reason: null, score: best };
  });
  return filterResult('near-duplicates', rows, decisions, { threshold, similarity: 'jaccard of word 2-shingles' });
}
