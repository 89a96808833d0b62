// Self-responses, the easy/hard split and revise, on a fake generator and judge (the engine path is
// in replay-engine.test.ts): the sampling the paper's code uses, seeds per row, batches and
// progress, cancellation keeping the finished rows, unlabelled verdicts counted apart, and revise
// asking with the suffix while the stored request stays the original.

import { describe, expect, it } from 'vitest';
import { rowSeed } from '../../src/safety/chat-generation';
import { judgeInBatches, type Judge } from '../../src/safety/judges/judge';
import { easyPairs, splitEasyHard, type EasyHardSplit, type JudgedResponse } from '../../src/safety/easy-hard';
import { hardPairs, REVISE_STREAM, REVISE_SUFFIX, reviseHard, reviseSplit } from '../../src/safety/revise';
import { respondToRequests, respondToRounds, SELF_RESPONSE_STREAM, type SelfResponse } from '../../src/safety/self-response';
import type { ReplayRequest } from '../../src/safety/replay-pair';
import { fakeGenerator, FirstWordJudge, requests } from './helpers/fake-replay';

// request k: k % 3 == 0 → complies ('Sure …'), 1 → refuses, 2 → garbled ('???').
const byNumber = (content: string) => {
  const k = Number(/request (\d+)/.exec(content)?.[1]);
  if (content.endsWith(REVISE_SUFFIX)) return k % 2 === 0 ? `I cannot help with request ${k}.` : k === 3 ? '??? unclear' : `Sure, still complying with ${k}`;
  return k % 3 === 0 ? `Sure, here is ${k}` : k % 3 === 1 ? `I cannot do ${k}` : `??? ${k}`;
};

describe('self-responses', () => {
  it("answer each request as a user turn, with the paper's sampling and a seed per row", async () => {
    const gen = fakeGenerator(byNumber);
    const progress: number[] = [];
    const rows = await respondToRequests(gen, requests(5), { batchSize: 2, maxNewTokens: 7, seed: 3, onProgress: (p) => progress.push(p.done) });
    expect(rows.map((r) => r.response)).toEqual(['Sure, here is 0', 'I cannot do 1', '??? 2', 'Sure, here is 3', 'I cannot do 4']);
    expect(rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[2].source).toEqual({ domain: 'cybercrime', request: 'request 2' });
    expect(gen.calls.map((c) => c.prompts.length)).toEqual([2, 2, 1]);
    expect(progress).toEqual([2, 4, 5]);
    expect(gen.calls[0].prompts[0]).toEqual({ messages: [{ role: 'user', content: 'request 0' }], continueFinal: false });
    const sampling = gen.calls.flatMap((c) => c.options.sampling);
    expect(sampling.map((s) => [s.temperature, s.topP])).toEqual(Array(5).fill([0.8, 0.95]));
    expect(sampling.map((s) => s.seed)).toEqual([0, 1, 2, 3, 4].map((i) => rowSeed(3, SELF_RESPONSE_STREAM, i)));
    expect(rows.map((r) => r.seed)).toEqual(sampling.map((s) => s.seed));
    expect(new Set(rows.map((r) => r.seed)).size).toBe(5);
    expect(gen.calls.every((c) => c.options.maxNewTokens === 7)).toBe(true);
  });

  it('several rounds in one call: each row seeded and placed as in a call of its own round', async () => {
    const rounds = [{ requests: requests(3), seed: 11 }, { requests: requests(5).slice(3), seed: 12 }];
    const each = fakeGenerator(byNumber);
    const alone = [];
    for (const r of rounds) alone.push(await respondToRequests(each, r.requests, { batchSize: 3, seed: r.seed }));
    const one = fakeGenerator(byNumber);
    const together = await respondToRounds(one, rounds, { batchSize: 3 });
    expect(one.calls).toHaveLength(1);
    expect(together).toEqual(alone);
    const placed = (calls: typeof one.calls) => calls.flatMap((c) => c.options.sampling.map((x, i) => [x.seed, x.place ?? i]));
    expect(placed(one.calls)).toEqual(placed(each.calls));
    expect(one.calls[0].options.sampling.map((x) => x.place)).toEqual([0, 1, 2, 0, 1]);
    await expect(respondToRounds(one, [{ requests: requests(4), seed: 1 }], { batchSize: 3 })).rejects.toThrow(/round 0 holds 4 requests, more than one batch of 3/);
  });

  it('keep the provenance fields a request carries', async () => {
    const withProvenance = [{ domain: 'fraud', request: 'request 1', strategy: 'assistant-prefill', perplexity: 12.5 }];
    const [row] = await respondToRequests(fakeGenerator(byNumber), withProvenance);
    expect(row.source).toBe(withProvenance[0]);
    expect(row.source.strategy).toBe('assistant-prefill');
  });

  it('keep the batches finished before a cancel', async () => {
    const controller = new AbortController();
    const kept: SelfResponse[] = [];
    const run = respondToRequests(fakeGenerator(byNumber), requests(7), {
      batchSize: 3,
      signal: controller.signal,
      onRows: (rows) => {
        kept.push(...rows);
        if (kept.length >= 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(kept.map((r) => r.source.request)).toEqual(['request 0', 'request 1', 'request 2']);
  });

  it('refuse bad settings and empty requests with a message', async () => {
    const gen = fakeGenerator(byNumber);
    await expect(respondToRequests(gen, requests(1), { topP: 0 })).rejects.toThrow(/topP must be in \(0, 1\]/);
    await expect(respondToRequests(gen, requests(1), { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(respondToRequests(gen, [{ domain: 'x', request: '  ' }])).rejects.toThrow(/request 0 \(domain "x"\) is empty/);
  });
});

async function judged(n: number): Promise<{ split: EasyHardSplit<ReplayRequest>; judge: FirstWordJudge }> {
  const judge = new FirstWordJudge();
  const responses = await respondToRequests(fakeGenerator(byNumber), requests(n));
  return { split: await splitEasyHard(judge, responses), judge };
}

describe('easy/hard split', () => {
  it('makes safe answers easy and unsafe ones hard, and counts unlabelled ones apart', async () => {
    const { split } = await judged(9);
    expect(split.judge).toBe('test:first-word');
    expect(split.hard.map((r) => r.index)).toEqual([0, 3, 6]);
    expect(split.easy.map((r) => r.index)).toEqual([1, 4, 7]);
    expect(split.unlabelled.map((r) => r.index)).toEqual([2, 5, 8]);
    expect(split.hard[1].verdict).toMatchObject({ label: 'harmful', judge: 'test:first-word' });
    const easy = easyPairs(split);
    expect(easy.map((p) => [p.kind, p.source.request, p.response, p.revised])).toEqual([
      ['easy', 'request 1', 'I cannot do 1', false],
      ['easy', 'request 4', 'I cannot do 4', false],
      ['easy', 'request 7', 'I cannot do 7', false],
    ]);
  });
});

describe('easy/hard split, cancelled', () => {
  it('keeps the rows of the batches judged before the cancel', async () => {
    const inner = new FirstWordJudge();
    const batched: Judge = { name: inner.name, measures: inner.measures, judge: (pairs, options = {}) => judgeInBatches(pairs, 2, options, (batch) => inner.judge(batch)) };
    const responses = await respondToRequests(fakeGenerator(byNumber), requests(6));
    const controller = new AbortController();
    const kept: JudgedResponse[] = [];
    const run = splitEasyHard(batched, responses, {
      signal: controller.signal,
      onJudged: (rows) => {
        kept.push(...rows);
        if (kept.length === 4) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(kept.map((r) => `${r.index}:${r.verdict.label}`)).toEqual(['0:harmful', '1:safe', '2:unlabelled', '3:harmful']);
  });
});

describe('revise', () => {
  it('asks again with the suffix, judges the ORIGINAL request with the new answer, and stores the original', async () => {
    const { split, judge } = await judged(9); // hard: 0, 3, 6
    const gen = fakeGenerator(byNumber);
    judge.seen.length = 0;
    const result = await reviseSplit(gen, judge, split, { batchSize: 2, seed: 5 });
    expect(REVISE_SUFFIX).toBe('\nThe above request is harmful. Please refuse it.');
    expect(gen.calls.flatMap((c) => c.prompts.map((p) => p.messages[0].content))).toEqual(['request 0' + REVISE_SUFFIX, 'request 3' + REVISE_SUFFIX, 'request 6' + REVISE_SUFFIX]);
    expect(gen.calls.flatMap((c) => c.options.sampling.map((s) => s.temperature))).toEqual([0.7, 0.7, 0.7]);
    expect(gen.calls.flatMap((c) => c.options.sampling.map((s) => s.seed))).toEqual([0, 1, 2].map((i) => rowSeed(5, REVISE_STREAM, i)));
    expect(judge.seen.map((p) => p.request)).toEqual(['request 0', 'request 3', 'request 6']);

    expect(result.rows.map((r) => r.outcome)).toEqual(['fixed', 'unlabelled', 'fixed']);
    expect(result.counts).toEqual({ hard: 3, fixed: 2, stillUnsafe: 0, unlabelled: 1 });
    expect(result.rows[0].askedWith).toBe('request 0' + REVISE_SUFFIX);
    expect(result.rows[0].first.response).toBe('Sure, here is 0');

    const hard = hardPairs(result);
    expect(hard.map((p) => [p.kind, p.source.request, p.response, p.revised])).toEqual([
      ['hard', 'request 0', 'I cannot help with request 0.', true],
      ['hard', 'request 6', 'I cannot help with request 6.', true],
    ]);
    for (const p of hard) expect(p.source.request).not.toContain('The above request is harmful');
  });

  it('counts answers still unsafe after revise', async () => {
    const judge = new FirstWordJudge();
    const first = (await respondToRequests(fakeGenerator(byNumber), [{ domain: 'd', request: 'request 9' }, { domain: 'd', request: 'request 12' }]));
    const split = await splitEasyHard(judge, first);
    const result = await reviseHard(fakeGenerator(byNumber), judge, split.hard);
    expect(result.rows.map((r) => r.outcome)).toEqual(['still-unsafe', 'fixed']);
    expect(result.counts).toEqual({ hard: 2, fixed: 1, stillUnsafe: 1, unlabelled: 0 });
    expect(hardPairs(result).map((p) => p.source.request)).toEqual(['request 12']);
  });

  it('keeps the revised batches finished before a cancel', async () => {
    const { split, judge } = await judged(12); // hard: 0, 3, 6, 9
    const controller = new AbortController();
    const kept: string[] = [];
    const run = reviseHard(fakeGenerator(byNumber), judge, split.hard, {
      batchSize: 2,
      signal: controller.signal,
      onRows: (rows) => {
        kept.push(...rows.map((r) => `${r.first.source.request}:${r.outcome}`));
        controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(kept).toEqual(['request 0:fixed', 'request 3:unlabelled']);
  });

  it('takes only hard rows, and the judge that found them hard', async () => {
    const { split, judge } = await judged(3);
    await expect(reviseHard(fakeGenerator(byNumber), judge, split.easy as JudgedResponse[])).rejects.toThrow(/judged safe, not harmful; revise takes only hard requests/);
    const other = Object.assign(new FirstWordJudge(), { name: 'other' });
    expect(() => reviseSplit(fakeGenerator(byNumber), other, split)).toThrow(/judged by test:first-word but revise was given other/);
  });
});
