// The GR-SAP steps on the engine, with the tiny fixture model (untrained: its text is noise, so the
// tests check structure, not quality): the engine generator renders user turns and open turns with
// the chat template and gives what generate() gives; self-responses are reproducible and greedy
// batches equal one-at-a-time answers; a cancel keeps the finished rows; and the whole chain
// respond → judge → revise → select → mix runs on it with consistent counts.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/model/generate';
import { engineChatGenerator, renderChatPrompt, rowSeed, type ChatGenerator } from '../../src/safety/chat-generation';
import { easyPairs, splitEasyHard } from '../../src/safety/easy-hard';
import type { Judge, JudgePair, Verdict } from '../../src/safety/judges/judge';
import { mixReplay } from '../../src/safety/mixing';
import { hardPairs, REVISE_SUFFIX, reviseSplit } from '../../src/safety/revise';
import { respondToRequests, SELF_RESPONSE_STREAM, type SelfResponse } from '../../src/safety/self-response';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { testGpu } from '../helpers/gpu';
import { requests } from './helpers/fake-replay';

const MAX_NEW = 5;
let loaded: LoadedModel;
let generator: ChatGenerator;

beforeAll(async () => {
  const gpu = await testGpu();
  loaded = await loadModel(gpu, new NodeFolderModelSource(join(import.meta.dirname, '..', 'fixtures', 'tiny-model')));
  generator = engineChatGenerator(loaded);
});
afterAll(() => loaded?.model.destroy());

const eosIds = () => [...new Set([...loaded.tokenizer.eosIds, ...loaded.cfg.eosTokenIds])];

describe('engine chat generator', () => {
  it('renders a user turn with the generation prompt, and an open user turn cut after its content', () => {
    const template = loaded.template!;
    expect(renderChatPrompt(template, { messages: [{ role: 'user', content: 'hi' }], continueFinal: false })).toBe('<|im_start|>system\nYou are a tiny test assistant.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
    expect(renderChatPrompt(template, { messages: [{ role: 'user', content: '' }], continueFinal: true })).toBe('<|im_start|>system\nYou are a tiny test assistant.<|im_end|>\n<|im_start|>user\n');
  });

  it('gives what generate() gives for the rendered prompts, the end token left out of the text', async () => {
    const prompts = [
      { messages: [{ role: 'user', content: 'hello there' }], continueFinal: false },
      { messages: [{ role: 'user', content: '' }], continueFinal: true },
    ];
    const sampling = [{ temperature: 0.8, topP: 0.95, seed: 11 }, { temperature: 1, seed: 12 }];
    const out = await generator(prompts, { maxNewTokens: MAX_NEW, sampling });
    const ids = prompts.map((p) => loaded.tokenizer.encode(renderChatPrompt(loaded.template!, p), { addSpecialTokens: false }));
    const direct = await generate(loaded.model, ids, { maxNewTokens: MAX_NEW, sampling, eosIds: eosIds() });
    out.forEach((o, b) => {
      const shown = direct.finish[b] === 'eos' ? direct.tokens[b].slice(0, -1) : direct.tokens[b];
      expect(o).toEqual({ text: loaded.tokenizer.decode(shown), tokens: direct.tokens[b].length, finish: direct.finish[b] });
    });
  });

  it('asks for a chat model', () => {
    expect(() => engineChatGenerator({ ...loaded, template: null })).toThrow(/has no chat template; GR-SAP asks the model in chat turns/);
  });
});

describe('self-responses on the engine', () => {
  it('are reproducible with a seed; greedy batches equal one-at-a-time answers', async () => {
    const asked = requests(3);
    const a = await respondToRequests(generator, asked, { maxNewTokens: MAX_NEW, batchSize: 2, seed: 9 });
    const b = await respondToRequests(generator, asked, { maxNewTokens: MAX_NEW, batchSize: 2, seed: 9 });
    expect(b).toEqual(a);
    expect(a.map((r) => r.seed)).toEqual([0, 1, 2].map((i) => rowSeed(9, SELF_RESPONSE_STREAM, i)));
    expect(a.every((r) => r.tokens >= 1 && r.tokens <= MAX_NEW)).toBe(true);

    const greedy = await respondToRequests(generator, asked, { maxNewTokens: MAX_NEW, batchSize: 3, temperature: 0 });
    for (const [i, r] of asked.entries()) {
      const [alone] = await respondToRequests(generator, [r], { maxNewTokens: MAX_NEW, temperature: 0 });
      expect(greedy[i].response, `request ${i}`).toBe(alone.response);
    }
  });

  it('keep the finished batches when cancelled', async () => {
    const controller = new AbortController();
    const kept: SelfResponse[] = [];
    const run = respondToRequests(generator, requests(5), {
      maxNewTokens: MAX_NEW,
      batchSize: 2,
      signal: controller.signal,
      onRows: (rows) => {
        kept.push(...rows);
        controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(kept.map((r) => r.index)).toEqual([0, 1]);
    expect(kept.every((r) => typeof r.response === 'string' && r.tokens >= 1)).toBe(true);
  });
});

/** Odd-numbered requests are harmful the first time they are judged, safe afterwards (revise fixes them). */
class OnceHarmfulJudge implements Judge {
  readonly name = 'test:once-harmful';
  readonly measures = "'harmful' for odd requests, the first time";
  private readonly seen = new Set<string>();
  async judge(pairs: readonly JudgePair[]): Promise<Verdict[]> {
    return pairs.map((p) => {
      const odd = Number(/(\d+)$/.exec(p.request)?.[1]) % 2 === 1;
      const first = !this.seen.has(p.request);
      this.seen.add(p.request);
      return { label: odd && first ? 'harmful' : 'safe', score: null, judge: this.name };
    });
  }
}

describe('the replay chain on the engine', () => {
  it('responds, judges, revises, selects and mixes with counts that add up', async () => {
    const judge = new OnceHarmfulJudge();
    const asked = requests(6, 'weapons');
    const responses = await respondToRequests(generator, asked, { maxNewTokens: MAX_NEW, batchSize: 3, seed: 1 });
    const split = await splitEasyHard(judge, responses);
    expect(split.hard.map((r) => r.index)).toEqual([1, 3, 5]);
    expect(split.easy.map((r) => r.index)).toEqual([0, 2, 4]);
    const revised = await reviseSplit(generator, judge, split, { maxNewTokens: MAX_NEW, batchSize: 2 });
    expect(revised.counts).toEqual({ hard: 3, fixed: 3, stillUnsafe: 0, unlabelled: 0 });
    for (const row of revised.rows) expect(row.askedWith).toBe(row.first.source.request + REVISE_SUFFIX);
    const hard = hardPairs(revised);
    expect(hard.map((p) => p.source.request)).toEqual(['request 1', 'request 3', 'request 5']);
    expect(hard.map((p) => p.response)).toEqual(revised.rows.map((r) => r.response));

    const task = Array.from({ length: 40 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: `a${i}` }] }));
    const { examples, report } = mixReplay({ task, hard, easy: easyPairs(split) }, { ratio: 0.1 });
    expect(report.bySource).toEqual({ task: 36, 'replay-hard': 2, 'replay-easy': 2, benign: 0 });
    for (const row of examples.filter((e) => e.meta!.mix_source === 'replay-hard')) {
      const pair = hard.find((p) => p.source.request === row.messages[0].content)!;
      expect(row.messages[1].content).toBe(pair.response);
      expect(row.meta).toMatchObject({ domain: 'weapons', kind: 'hard', revised: 'true', judge: 'test:once-harmful' });
    }
  });
});
