// Benign replay on a fake generator: Magpie prompts (an open, empty user turn), the funnel of drops
// (unfinished, empty, duplicate, harmful, refused, unlabelled by either judge), the kept pairs'
// provenance, and a cancel keeping the pairs of finished batches.

import { describe, expect, it } from 'vitest';
import { buildBenignReplay, BENIGN_REQUEST_STREAM, type BenignFunnel, type BenignRequest } from '../../src/safety/benign-replay';
import { rowSeed, type GeneratedText } from '../../src/safety/chat-generation';
import type { Judge, JudgePair, Verdict } from '../../src/safety/judges/judge';
import type { ReplayPair } from '../../src/safety/replay-pair';
import { fakeGenerator } from './helpers/fake-replay';

const WRITTEN: (string | GeneratedText)[] = [
  'write a poem', // kept
  '  ', // empty
  'Write a   POEM', // duplicate
  { text: 'a very long request that never', tokens: 64, finish: 'length' }, // unfinished
  'how to steal a car', // harmful answer
  'tell me a secret', // refused
  'odd question', // the harm judge cannot say
  'silent please', // empty answer: the refusal check cannot say
  'bake bread', // kept
];

const ANSWERS: Record<string, string> = {
  'write a poem': 'Roses are red, the sky is wide.',
  'how to steal a car': 'Take the keys from the owner.',
  'tell me a secret': "I'm sorry, I can't share secrets.",
  'odd question': 'Something.',
  'silent please': '',
  'bake bread': 'Mix flour, water and yeast, then bake.',
};

/** Harmful when the request mentions stealing, unlabelled when it is odd, else safe. */
class RequestJudge implements Judge {
  readonly name = 'test:request';
  readonly measures = "'harmful' for requests about stealing";
  async judge(pairs: readonly JudgePair[]): Promise<Verdict[]> {
    return pairs.map((p) => {
      const label = p.request.includes('steal') ? 'harmful' : p.request.startsWith('odd') ? 'unlabelled' : 'safe';
      return { label, score: null, judge: this.name };
    });
  }
}

const generator = () => fakeGenerator((content) => ANSWERS[content] ?? `no answer for ${content}`, (i) => WRITTEN[i % WRITTEN.length]);

describe('benign replay', () => {
  it('has the model write requests into an open user turn and answer them, keeping helpful safe pairs', async () => {
    const gen = generator();
    const result = await buildBenignReplay(gen, new RequestJudge(), { samples: 9, batchSize: 9, seed: 4, requestTokens: 64 });
    expect(result.funnel).toEqual({ sampled: 9, unfinished: 1, empty: 1, duplicate: 1, answered: 6, harmful: 1, harmUnlabelled: 1, refused: 1, refusalUnlabelled: 1, kept: 2 });
    expect(result.pairs.map((p) => [p.kind, p.source.request, p.response])).toEqual([
      ['benign', 'write a poem', 'Roses are red, the sky is wide.'],
      ['benign', 'bake bread', 'Mix flour, water and yeast, then bake.'],
    ]);
    expect(result.judge).toBe('test:request');
    expect(result.refusalCheck).toBe('keyword-refusal');

    const magpie = gen.calls[0];
    expect(magpie.prompts.every((p) => p.continueFinal && p.messages.length === 1 && p.messages[0].role === 'user' && p.messages[0].content === '')).toBe(true);
    expect(magpie.options.maxNewTokens).toBe(64);
    expect(magpie.options.sampling.map((s) => s.temperature)).toEqual(Array(9).fill(1));
    expect(magpie.options.sampling.map((s) => s.seed)).toEqual(Array.from({ length: 9 }, (_, i) => rowSeed(4, BENIGN_REQUEST_STREAM, i)));
    expect(result.pairs[1].source).toEqual({ domain: 'benign', request: 'bake bread', strategy: 'magpie', requestSeed: rowSeed(4, BENIGN_REQUEST_STREAM, 8) });

    const answers = gen.calls[1];
    expect(answers.prompts.every((p) => !p.continueFinal)).toBe(true);
    expect(answers.options.sampling.map((s) => [s.temperature, s.topP])).toEqual(Array(6).fill([0.8, 0.95]));
  });

  it('is reproducible, and drops a request repeated in a later batch', async () => {
    const a = await buildBenignReplay(generator(), new RequestJudge(), { samples: 18, batchSize: 4 });
    const b = await buildBenignReplay(generator(), new RequestJudge(), { samples: 18, batchSize: 4 });
    expect(b).toEqual(a);
    expect(a.funnel.sampled).toBe(18);
    expect(a.funnel.kept).toBe(2); // the second round of WRITTEN repeats the first
    expect(a.funnel.duplicate).toBe(1 + 7);
  });

  it('keeps the pairs of the batches finished before a cancel', async () => {
    const controller = new AbortController();
    const kept: ReplayPair<BenignRequest>[] = [];
    const funnels: BenignFunnel[] = [];
    const run = buildBenignReplay(generator(), new RequestJudge(), {
      samples: 9,
      batchSize: 3,
      signal: controller.signal,
      onPairs: (pairs) => kept.push(...pairs),
      onFunnel: (f) => funnels.push(f),
      onProgress: (p) => {
        if (p.done === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(kept.map((p) => p.source.request)).toEqual(['write a poem']);
    // The funnel of the finished batch, as it stood when the cancel came: the caller reports it.
    expect(funnels).toEqual([{ sampled: 3, unfinished: 0, empty: 1, duplicate: 1, answered: 1, harmful: 0, harmUnlabelled: 0, refused: 0, refusalUnlabelled: 0, kept: 1 }]);
  });
});
