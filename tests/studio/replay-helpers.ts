// Shared by the replay use-case tests: a judge whose labels are a hash of the pair, a tokenizer that
// makes the untrained tiny model's text quote-heavy, and small settings that exercise every step.

import type { Judge, JudgePair, Verdict } from '../../src/safety/judges/judge';
import type { TextTokenizer } from '../../src/text/tokenizer';

/** A judge whose label is a hash of the pair (by default harmful, safe or unlabelled alike), counting its calls. */
export class HashJudge implements Judge {
  readonly name = 'test:hash';
  readonly measures = "one of its labels, picked by a hash of the pair's text";
  pairs = 0;
  constructor(private readonly labels: readonly Verdict['label'][] = ['harmful', 'safe', 'unlabelled']) {}
  async judge(pairs: readonly JudgePair[]): Promise<Verdict[]> {
    this.pairs += pairs.length;
    return pairs.map((p) => {
      let h = 7;
      for (const c of p.request + '|' + p.response) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      const label = this.labels[h % this.labels.length];
      return { label, score: label === 'unlabelled' ? null : (h % 100) / 100, judge: this.name };
    });
  }
}

/**
 * The tiny model's tokenizer, except that every id divisible by 5 decodes as a quote: its random
 * weights almost never sample the real quote token, and extraction keeps only quoted requests.
 */
export function quoteHeavy(tokenizer: TextTokenizer): TextTokenizer {
  const fake = Object.create(tokenizer) as TextTokenizer;
  fake.decode = (ids) => Array.from(ids, (id) => (id % 5 === 0 ? '"' : tokenizer.decode([id]))).join('');
  return fake;
}

export const SMALL = {
  domains: ['theft', 'weapons'],
  seed: 3,
  extraction: { samplesPerDomain: 6, maxNewTokens: 8, batchSize: 6, temperature: 1.5 },
  perplexity: { lowPercentile: 0, highPercentile: 100 },
  responses: { maxNewTokens: 4, batchSize: 3, temperature: 1.5 },
  revise: { maxNewTokens: 4, temperature: 1.5 },
};
