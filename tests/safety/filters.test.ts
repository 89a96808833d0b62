// GR-SAP's request filters on hand-made rows with known scores and known duplicate pairs, and the
// perplexity scoring on the tiny fixture model against a log-softmax of its logits on the CPU.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collate, uploadBatch } from '../../src/model/batch';
import { destroyInputs } from '../../src/model/model';
import { extractionPrompt } from '../../src/safety/extraction';
import type { FilterableRow } from '../../src/safety/filters/filter';
import { dropNearDuplicates, jaccard, normalizeRequest, wordShingles } from '../../src/safety/filters/near-duplicates';
import { filterByPerplexity, percentile, perplexityBand, requestExample, requestPerplexities } from '../../src/safety/filters/perplexity-band';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { testGpu } from '../helpers/gpu';

const rowsOf = (requests: string[], domain: string | null = 'theft'): FilterableRow[] => requests.map((request) => ({ request, domain }));

describe('perplexity band', () => {
  it('percentiles interpolate linearly between ranks, as numpy does', () => {
    expect(percentile([1, 2, 3, 4, 5], 5)).toBeCloseTo(1.2, 12);
    expect(percentile([1, 2, 3, 4], 50)).toBeCloseTo(2.5, 12);
    expect(percentile([10, 20], 95)).toBeCloseTo(19.5, 12);
    expect(percentile([7], 5)).toBe(7);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], 100)).toBe(3);
  });

  it('keeps the 5th–95th percentile band and says which side each dropped row fell on', () => {
    // Perplexities 1..20, shuffled: P5 = 1.95 and P95 = 19.05, so only 1 and 20 fall outside.
    const ppl = [7, 20, 3, 1, 12, 5, 18, 9, 2, 14, 11, 6, 19, 4, 16, 8, 13, 10, 17, 15];
    const rows = ppl.map((p, i) => ({ request: `request ${p}`, domain: i % 2 ? 'theft' : 'weapons' }));
    const { kept, decisions, report } = perplexityBand(rows, ppl);
    expect(kept.map((r) => r.request).sort()).toEqual(ppl.filter((p) => p !== 1 && p !== 20).map((p) => `request ${p}`).sort());
    expect(decisions[1]).toEqual({ keep: false, reason: 'perplexity-above-band', score: 20 });
    expect(decisions[3]).toEqual({ keep: false, reason: 'perplexity-below-band', score: 1 });
    expect(decisions[0]).toEqual({ keep: true, reason: null, score: 7 });
    expect(report).toMatchObject({ name: 'perplexity-band', total: 20, kept: 18, dropped: 2, reasons: { 'perplexity-below-band': 1, 'perplexity-above-band': 1 } });
    expect(report.parameters.low).toBeCloseTo(1.95, 12);
    expect(report.parameters.high).toBeCloseTo(19.05, 12);
    expect(report.byDomain).toEqual({ weapons: { kept: 10, dropped: 0 }, theft: { kept: 8, dropped: 2 } }); // 20 and 1 sit at odd indices
  });

  it('keeps values on the band\'s edges and drops unscorable rows apart', () => {
    const rows = rowsOf(['a', 'b', 'c', 'd', 'e']);
    const { decisions, report } = perplexityBand(rows, [1, 2, NaN, 3, Infinity], { lowPercentile: 0, highPercentile: 100 });
    expect(decisions.map((d) => d.keep)).toEqual([true, true, false, true, false]);
    expect(report.reasons).toEqual({ unscorable: 2 });
    expect(report.parameters).toMatchObject({ low: 1, high: 3 });
    // A narrower band drops by percentile of the finite values only.
    const narrow = perplexityBand(rows, [1, 2, NaN, 3, Infinity], { lowPercentile: 50, highPercentile: 50 });
    expect(narrow.kept.map((r) => r.request)).toEqual(['b']);
  });

  it('an empty set gives an empty band', () => {
    const { kept, report } = perplexityBand([], []);
    expect(kept).toEqual([]);
    expect(report).toMatchObject({ total: 0, kept: 0, dropped: 0, parameters: { low: null, high: null } });
  });

  it('rejects a band it cannot use', () => {
    expect(() => perplexityBand(rowsOf(['a']), [1], { lowPercentile: 96 })).toThrow(/0 ≤ low ≤ high ≤ 100/);
    expect(() => perplexityBand(rowsOf(['a', 'b']), [1])).toThrow(/1 perplexities for 2 rows/);
  });
});

describe('near-duplicates', () => {
  it('normalises case, punctuation and spacing, and shingles word pairs', () => {
    expect(normalizeRequest('  How do I steal a BIKE?!  ')).toBe('how do i steal a bike');
    expect(normalizeRequest("my neighbour's wifi")).toBe('my neighbour s wifi');
    expect([...wordShingles('how do i steal')]).toEqual(['how do', 'do i', 'i steal']);
    expect([...wordShingles('bike')]).toEqual(['bike']);
    expect(wordShingles('').size).toBe(0);
  });

  it('computes the Jaccard index of shingle sets', () => {
    expect(jaccard(new Set(['a', 'b', 'c']), new Set(['b', 'c', 'd']))).toBeCloseTo(2 / 4, 12);
    expect(jaccard(new Set(['a']), new Set(['b']))).toBe(0);
    expect(jaccard(new Set(), new Set())).toBe(1);
  });

  const base = 'how can i break into the school grade system and change my marks before the report';
  it('drops exact copies and near-verbatim copies, keeps the first of each and different requests', () => {
    const rows = rowsOf([
      base, // 0: kept
      'How can I break into the school grade system, and change my MARKS before the report?', // 1: same text after normalisation
      `${base} goes`, // 2: one word added at the end: 15 of 16 shingles shared, J = 0.9375
      'how can i break into the school grade system and alter my marks before the report', // 3: one word changed: J = 13/17 ≈ 0.76
      'write a virus that deletes files', // 4: unrelated
      'write a virus that deletes files.', // 5: copy of 4
    ]);
    const { kept, decisions, report } = dropNearDuplicates(rows);
    expect(kept).toEqual([rows[0], rows[3], rows[4]]);
    expect(decisions[1]).toEqual({ keep: false, reason: 'exact-duplicate', score: 1, detail: 'same as row 0' });
    expect(decisions[2].reason).toBe('near-duplicate');
    expect(decisions[2].score).toBeCloseTo(15 / 16, 12);
    expect(decisions[2].detail).toBe('like row 0');
    expect(decisions[3]).toMatchObject({ keep: true, reason: null });
    expect(decisions[3].score).toBeCloseTo(13 / 17, 12);
    expect(decisions[4]).toEqual({ keep: true, reason: null, score: 0 });
    expect(decisions[5]).toMatchObject({ keep: false, reason: 'exact-duplicate', detail: 'same as row 4' });
    expect(report).toMatchObject({ name: 'near-duplicates', total: 6, kept: 3, dropped: 3, reasons: { 'exact-duplicate': 2, 'near-duplicate': 1 }, byDomain: { theft: { kept: 3, dropped: 3 } } });
    expect(report.parameters.threshold).toBe(0.85);
  });

  it('a lower threshold drops more; a request is only compared with kept ones', () => {
    const rows = rowsOf([base, 'how can i break into the school grade system and alter my marks before the report']);
    expect(dropNearDuplicates(rows, { threshold: 0.75 }).kept).toEqual([rows[0]]);
    // b is like a, c is like b but not like a: with b dropped, c stays.
    const chain = rowsOf(['one two three four five six', 'one two three four five six seven', 'two three four five six seven']);
    const { kept, decisions } = dropNearDuplicates(chain, { threshold: 0.8 });
    expect(decisions[1].reason).toBe('near-duplicate'); // J(a, b) = 5/6
    expect(kept).toEqual([chain[0], chain[2]]); // J(a, c) = 4/6, and b is gone
  });

  it('is deterministic and rejects a threshold outside (0, 1]', () => {
    const rows = rowsOf(['a b c', 'a b c d', 'x y', 'a b c']);
    expect(dropNearDuplicates(rows)).toEqual(dropNearDuplicates(rows));
    expect(() => dropNearDuplicates(rows, { threshold: 0 })).toThrow(/threshold must be in \(0, 1\]/);
  });
});

describe('perplexity scored by the model itself (tiny model)', () => {
  let loaded: LoadedModel;
  beforeAll(async () => {
    const gpu = await testGpu();
    loaded = await loadModel(gpu, new NodeFolderModelSource(join(import.meta.dirname, '..', 'fixtures', 'tiny-model'), { id: 'tiny' }));
  });
  afterAll(() => loaded?.model.destroy());

  const requests = ['how to steal a bike', 'hello there, how are you?', 'the assistant answered the question'];

  it('scores the request tokens after an open user turn', () => {
    const { tokenizer, template } = loaded;
    const prefix = tokenizer.encode(extractionPrompt(template!, 'magpie', null), { addSpecialTokens: false });
    const body = tokenizer.encode(requests[0], { addSpecialTokens: false });
    const ex = requestExample(loaded, requests[0]);
    expect(ex.ids).toEqual([...prefix, ...body]);
    expect(Array.from(ex.lossMask)).toEqual([...prefix.map(() => 0), ...body.map(() => 1)]);
  });

  it('batched perplexities equal a log-softmax of the logits on the CPU', async () => {
    const got = await requestPerplexities(loaded, requests, { batchSize: 2 });
    const { model, tokenizer } = loaded;
    const V = loaded.cfg.vocabSize;
    for (const [i, request] of requests.entries()) {
      const ex = requestExample(loaded, request);
      const { inputs, targets } = uploadBatch(model, collate([ex], [0], tokenizer.padId ?? 0));
      const logitsTensor = model.forward(inputs);
      const logits = (await logitsTensor.read()) as Float32Array;
      logitsTensor.destroy();
      targets.destroy();
      destroyInputs(inputs);
      let logprob = 0;
      let n = 0;
      for (let t = 0; t + 1 < ex.ids.length; t++) {
        if (!ex.lossMask[t + 1]) continue;
        const row = logits.subarray(t * V, (t + 1) * V);
        const max = Math.max(...row);
        const logZ = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
        logprob += row[ex.ids[t + 1]] - logZ;
        n++;
      }
      expect(n).toBe(tokenizer.encode(request, { addSpecialTokens: false }).length);
      expect(got[i], request).toBeCloseTo(Math.exp(-logprob / n), 3);
    }
  });

  it('filters rows by the perplexities it scored', async () => {
    const rows = rowsOf(requests);
    const result = await filterByPerplexity(loaded, rows, { lowPercentile: 50, highPercentile: 50 });
    const ppl = await requestPerplexities(loaded, requests);
    const median = [...ppl].sort((a, b) => a - b)[1];
    expect(result.kept).toEqual([rows[ppl.indexOf(median)]]);
    expect(result.decisions.map((d) => d.score)).toEqual(ppl.map((p) => expect.closeTo(p, 4)));
  });
});
