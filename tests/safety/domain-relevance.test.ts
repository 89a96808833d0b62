// The optional domain-relevance filter: ranking by calibrated relevance on hand-made log-likelihoods,
// and the model's scoring of domain names on the tiny fixture model.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreExamples } from '../../src/model/score';
import { DOMAIN_QUESTION, domainLogprobs, filterByDomainRelevance, rankDomainRelevance } from '../../src/safety/filters/domain-relevance';
import type { FilterableRow } from '../../src/safety/filters/filter';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { encodeChatExamples } from '../../src/text/encode-dataset';
import { testGpu } from '../helpers/gpu';

const DOMAINS = ['theft', 'weapons', 'drugs'];

describe('domain relevance ranking', () => {
  const rows: FilterableRow[] = [
    { request: 'steal a bike', domain: 'theft' },
    { request: 'make a silencer', domain: 'weapons' },
    { request: 'sell pills at a school', domain: 'drugs' },
    { request: 'bake bread', domain: null },
  ];
  const logprobs = {
    conditional: [
      [-2, -7, -6], // relevance [1, -2, -3]: theft first
      [-1, -2, -6], // relevance [2, 3, -3]: weapons first, though "theft" is likelier uncalibrated
      [-2, -4, -9], // relevance [1, 1, -6]: drugs last; theft and weapons tie, theft listed first
      null,
    ],
    baseline: [-3, -5, -3],
  };

  it('keeps a request whose own domain is within the top K, by likelihood calibrated against an empty request', () => {
    const { kept, decisions, report } = rankDomainRelevance(rows, DOMAINS, logprobs, { topK: 2 });
    expect(kept).toEqual([rows[0], rows[1], rows[3]]);
    expect(decisions[0]).toEqual({ keep: true, reason: null, score: 1, detail: 'first choice: theft' });
    expect(decisions[1]).toEqual({ keep: true, reason: null, score: 1, detail: 'first choice: weapons' });
    expect(decisions[2]).toEqual({ keep: false, reason: 'other-domain', score: 3, detail: 'first choice: theft' });
    expect(decisions[3]).toEqual({ keep: true, reason: null, score: null, detail: 'no domain to judge' });
    expect(report).toMatchObject({ name: 'domain-relevance', total: 4, kept: 3, dropped: 1, reasons: { 'other-domain': 1 }, byDomain: { drugs: { kept: 0, dropped: 1 } } });
    expect(report.parameters).toMatchObject({ topK: 2, unjudged: 1 });
  });

  it('top 1 keeps only first choices; a wider K keeps everything', () => {
    expect(rankDomainRelevance(rows, DOMAINS, logprobs, { topK: 1 }).kept).toEqual([rows[0], rows[1], rows[3]]);
    expect(rankDomainRelevance(rows, DOMAINS, logprobs, { topK: 3 }).kept).toEqual(rows);
  });

  it('names what does not fit', () => {
    expect(() => rankDomainRelevance([{ request: 'x', domain: 'arson' }], DOMAINS, { conditional: [[0, 0, 0]], baseline: [0, 0, 0] })).toThrow(/"arson", which is not in the domain list/);
    expect(() => rankDomainRelevance(rows, DOMAINS, logprobs, { topK: 0 })).toThrow(/topK must be a positive integer/);
    expect(() => rankDomainRelevance(rows.slice(1), DOMAINS, logprobs)).toThrow(/scores for 4 rows × 3 domains, given 3 rows × 3 domains/);
  });
});

describe('domain relevance scored by the model itself (tiny model)', () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    const gpu = await testGpu();
    loaded = await loadModel(gpu, new NodeFolderModelSource(join(import.meta.dirname, '..', 'fixtures', 'tiny-model'), { id: 'tiny' }));
  });
  afterAll(() => loaded?.model.destroy());

  const rows: FilterableRow[] = [
    { request: 'how to steal a bike', domain: 'theft' },
    { request: 'hello there', domain: null },
    { request: 'the "weapons" question', domain: 'weapons' },
  ];

  it('scores each domain name as the answer for each request with a domain, and for an empty request', async () => {
    const got = await domainLogprobs(loaded, rows, DOMAINS, { batchSize: 4 });
    expect(got.conditional[1]).toBeNull();
    expect(got.conditional[0]).toHaveLength(3);
    expect(got.baseline).toHaveLength(3);
    // Each score is the log-likelihood of the assistant turn "<domain><|im_end|>" after the question.
    const { tokenizer, template, model } = loaded;
    const one = (request: string, domain: string) =>
      encodeChatExamples(tokenizer, template!, [{ messages: [{ role: 'user', content: DOMAIN_QUESTION.replace('{request}', request) }, { role: 'assistant', content: domain }] }]).examples;
    const [cond] = await scoreExamples(model, one(rows[2].request, 'weapons'), { batchSize: 1, padId: 0 });
    expect(got.conditional[2]![1]).toBeCloseTo(cond.logprob, 3);
    expect(cond.tokens).toBe(tokenizer.encode('weapons', { addSpecialTokens: false }).length + 1);
    const [base] = await scoreExamples(model, one('', 'drugs'), { batchSize: 1, padId: 0 });
    expect(got.baseline[2]).toBeCloseTo(base.logprob, 3);
    const filtered = await filterByDomainRelevance(loaded, rows, DOMAINS, { topK: 1, batchSize: 4 });
    expect(filtered.decisions).toEqual(rankDomainRelevance(rows, DOMAINS, got, { topK: 1 }).decisions);
  });

  it('refuses a row whose domain is not in the list before scoring anything', async () => {
    await expect(domainLogprobs(loaded, [{ request: 'x', domain: 'arson' }], DOMAINS)).rejects.toThrow(/not in the domain list/);
  });
});
