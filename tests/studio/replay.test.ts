// buildReplaySet on the tiny fixture model (untrained: its text is noise, so the tests check the
// wiring and the arithmetic, not quality): the funnel's counts add up from extraction to selection,
// the pairs carry their provenance through the JSONL layout, progress has a phase per step, a cancel
// keeps the pairs finished before it, bad options fail before any work, and the engine runs it as a
// job with the embedded model's own domains by default.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRSAP_DOMAINS } from '../../src/safety/extraction';
import { KeywordRefusalJudge } from '../../src/safety/judges/keyword-refusal';
import { createMemoryModelCache } from '../../src/storage/cache';
import type { ReplaySetResult } from '../../src/studio/api';
import { StudioEngine } from '../../src/studio/engine';
import { JobCancelledError, JobQueue, jobResult, type JobEnd, type JobProgress } from '../../src/studio/jobs';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { buildReplaySet, defaultReplayDomains, WORLD_REPLAY_DOMAINS, type ReplaySetPair } from '../../src/studio/replay';
import { resolveReplaySettings } from '../../src/studio/replay-settings';
import { mixReplaySet, parseReplaySet, replaySetToJsonl } from '../../src/studio/replay-set';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { TINY_MODEL } from '../cli/run-cli';
import { testGpu } from '../helpers/gpu';
import { HashJudge, quoteHeavy, SMALL } from './replay-helpers';

let loaded: LoadedModel;
let quoting: LoadedModel;
beforeAll(async () => {
  loaded = await loadModel(await testGpu(), new NodeFolderModelSource(TINY_MODEL, { id: 'tiny' }));
  quoting = { ...loaded, tokenizer: quoteHeavy(loaded.tokenizer) };
});
afterAll(() => loaded?.model.destroy());

describe('buildReplaySet', () => {
  it('runs every step; the funnel adds up and the pairs keep their provenance', async () => {
    const judge = new HashJudge();
    const progress: JobProgress<ReplaySetPair[]>[] = [];
    const delivered: ReplaySetPair[] = [];
    const { pairs, funnel, record } = await buildReplaySet(quoting, { ...SMALL, judge }, { onProgress: (p) => progress.push(p), onRows: (r) => delivered.push(...r) });

    const x = funnel.extraction.total;
    expect(x.sampled).toBe(12);
    expect(x.kept + Object.values(x.dropped).reduce((a, b) => a + b!, 0)).toBe(12);
    expect(x.kept).toBeGreaterThan(3); // enough rows to exercise the steps after it
    const [ppl, dedup] = funnel.filters;
    expect(funnel.filters.map((f) => f.name)).toEqual(['perplexity-band', 'near-duplicates']);
    expect(ppl.total).toBe(x.kept);
    expect(dedup.total).toBe(ppl.kept);
    for (const f of funnel.filters) expect(f.kept + f.dropped).toBe(f.total);
    expect(funnel.responded).toBe(dedup.kept);
    const a = funnel.firstAnswers;
    expect(a.easy + a.hard + a.unlabelled).toBe(funnel.responded);
    expect(funnel.revise!.hard).toBe(a.hard);
    expect(funnel.revise!.fixed + funnel.revise!.stillUnsafe + funnel.revise!.unlabelled).toBe(a.hard);
    expect(funnel.usable).toEqual({ hard: funnel.revise!.fixed, easy: a.easy });
    expect(judge.pairs).toBe(funnel.responded + a.hard); // every first answer, then every revised one

    // By default every usable pair is selected, so the pairs delivered as they finished are the set.
    expect(funnel.selection!.wantedPairs).toBe(a.easy + funnel.revise!.fixed);
    expect(funnel.selected).toEqual({ hard: funnel.revise!.fixed, easy: a.easy, total: pairs.length });
    expect(new Set(pairs)).toEqual(new Set(delivered));
    expect(funnel.complete).toBe(true);
    // Benign replay is off unless asked for, as the paper has none.
    expect(funnel.benign).toBeNull();
    expect(pairs.some((p) => p.kind === 'benign')).toBe(false);
    expect(record).toMatchObject({ settings: { benign: false }, refusalCheck: null });

    const domains = Object.values(funnel.byDomain);
    const sum = (k: keyof (typeof domains)[number]) => domains.reduce((n, d) => n + d[k], 0);
    expect([sum('sampled'), sum('extracted'), sum('filtered'), sum('easy'), sum('hard'), sum('unlabelled'), sum('fixed'), sum('selected')]).toEqual([
      12, x.kept, dedup.kept, a.easy, a.hard, a.unlabelled, funnel.revise!.fixed, pairs.length,
    ]);
    expect(Object.keys(funnel.byDomain).sort()).toEqual(['theft', 'weapons']);

    // Progress: one phase per step in order, rows as the judged steps finish them.
    const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases[0]).toBe('extract');
    expect(phases.at(-1)).toBe('select');
    expect(phases.slice(1, 3)).toEqual(['perplexity', 'near-duplicates']);
    expect(new Set(phases)).toEqual(new Set(['extract', 'perplexity', 'near-duplicates', 'respond', 'judge', 'select', ...(a.hard ? ['revise'] : [])]));
    expect(progress.every((p) => p.unit === 'items')).toBe(true);
    expect(progress.flatMap((p) => p.payload ?? [])).toEqual(delivered);

    // Provenance, through the saved layout and back.
    expect(pairs.every((p) => p.verdict.label === 'safe' && p.verdict.judge === judge.name)).toBe(true);
    expect(pairs.every((p) => p.source.strategy === 'assistant-prefill' && typeof p.source.perplexity === 'number' && (p.kind === 'hard') === p.revised)).toBe(true);
    const back = parseReplaySet(replaySetToJsonl(pairs), 'replay.jsonl');
    expect(back.map((p) => [p.kind, p.source.domain, p.source.request, p.response, p.revised, p.seed])).toEqual(pairs.map((p) => [p.kind, p.source.domain, p.source.request, p.response, p.revised, p.seed]));
    expect(back.every((p) => (p.source as unknown as Record<string, string>).strategy === 'assistant-prefill')).toBe(true);
    expect(record).toMatchObject({ model: 'tiny', judge: { name: judge.name }, complete: true, settings: { selection: { hardRatio: 0.5, shortage: 'fill' } } });

    // The same seed gives the same set.
    const again = await buildReplaySet(quoting, { ...SMALL, judge: new HashJudge() });
    expect(again.pairs).toEqual(pairs);
  });

  it('draws a given number of pairs at the hard ratio, skips revise when asked, and chains the domain relevance filter', async () => {
    const judge = new HashJudge();
    const { pairs, funnel } = await buildReplaySet(quoting, { ...SMALL, judge, revise: false, domainRelevance: { topK: 1 }, selection: { pairs: 2, hardRatio: 0.5, shortage: 'keep-ratio' } });
    expect(funnel.filters.map((f) => f.name)).toEqual(['perplexity-band', 'near-duplicates', 'domain-relevance']);
    expect(funnel.filters[2]).toMatchObject({ total: funnel.filters[1].kept, parameters: { topK: 1, domains: 2 } });
    expect(funnel.responded).toBe(funnel.filters[2].kept);
    expect(Object.values(funnel.byDomain).reduce((n, d) => n + d.filtered, 0)).toBe(funnel.filters[2].kept);
    expect(funnel.revise).toBeNull();
    expect(funnel.usable.hard).toBe(0);
    expect(judge.pairs).toBe(funnel.responded); // no second answers were judged
    // No hard pairs without revise: keep-ratio cannot keep a 0.5 share, so nothing is drawn.
    expect(pairs).toEqual([]);
    expect(funnel.selection).toMatchObject({ wantedPairs: 2, counts: { wanted: [1, 1], available: [0, funnel.usable.easy], taken: [0, 0] } });
    expect(funnel.selection!.note).toMatch(/share is kept/);
  });

  it('with requireRefusal, judges the safety pairs by the judge and a refusal opening; benign replay by the judge alone', async () => {
    const judge = new HashJudge(['safe']); // calls every answer safe; only the refusal opening can make one hard
    const { pairs, funnel, record } = await buildReplaySet(quoting, { ...SMALL, judge, requireRefusal: true, benign: { samples: 3, requestTokens: 6, answer: { maxNewTokens: 4 } } });
    expect(funnel.judge).toBe('test:hash+refusal-opening');
    expect(record.judge.name).toBe('test:hash+refusal-opening');
    expect(record.settings.requireRefusal).toBe(true);
    expect(funnel.benign!.judge).toBe('test:hash');
    // The untrained model's noise never opens with a refusal, so every first answer is hard and none is fixed.
    expect(funnel.responded).toBeGreaterThan(0);
    expect(funnel.firstAnswers).toEqual({ easy: 0, hard: funnel.responded, unlabelled: 0 });
    expect(funnel.revise!.fixed).toBe(0);
    expect(pairs.filter((p) => p.kind !== 'benign')).toEqual([]);
    // Without it, the same judge keeps every answer as easy.
    const plain = await buildReplaySet(quoting, { ...SMALL, judge: new HashJudge(['safe']) });
    expect(plain.funnel.firstAnswers.easy).toBe(plain.funnel.responded);
    expect(resolveReplaySettings({ ...SMALL }).requireRefusal).toBe(false);
    expect(() => resolveReplaySettings({ ...SMALL, requireRefusal: 'yes' as unknown as boolean })).toThrow(/requireRefusal must be true or false/);
  });

  it('keeps the pairs finished before a cancel, through the job queue', async () => {
    const queue = new JobQueue();
    const delivered: ReplaySetPair[] = [];
    let end!: JobEnd<ReplaySetResult>;
    await new Promise<void>((resolve) => {
      const id = queue.start<ReplaySetPair[], ReplaySetResult>(
        'replay',
        (ctx) =>
          buildReplaySet(quoting, { ...SMALL, judge: new HashJudge(), responses: { ...SMALL.responses, batchSize: 1 } }, {
            signal: ctx.signal,
            onProgress: ctx.progress,
            onRows: (rows) => {
              delivered.push(...rows);
              queue.cancel(id); // after the first round that finished a pair
            },
          }),
        (e) => {
          if (e.kind === 'end') {
            end = e;
            resolve();
          }
        },
      );
    });
    expect(end.status).toBe('cancelled');
    const partial = (end as { result: ReplaySetResult }).result;
    expect(delivered.length).toBeGreaterThan(0);
    expect(partial.pairs).toEqual(delivered);
    expect(partial.funnel).toMatchObject({ complete: false, selection: null });
    expect(['judge', 'revise', 'respond']).toContain(partial.funnel.stoppedIn);
    expect(partial.funnel.responded).toBeLessThan(partial.funnel.filters.at(-1)!.kept);
    expect(partial.funnel.usable.easy + partial.funnel.usable.hard).toBe(delivered.length);
    expect(partial.record.complete).toBe(false);
  });

  it('stops at once on an aborted signal, with the funnel of nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await buildReplaySet(quoting, { ...SMALL, judge: new HashJudge() }, { signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect((error.partial as ReplaySetResult).pairs).toEqual([]);
    expect((error.partial as ReplaySetResult).funnel).toMatchObject({ complete: false, stoppedIn: 'extract', extraction: { total: { sampled: 0 } } });
  });

  it('refuses bad options by name before any work', async () => {
    const judge = new HashJudge();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ samples: 4 }, /unknown option "samples"; the options are judge, domains/],
      [{ extraction: { samplesPerDomian: 4 } }, /unknown setting "samplesPerDomian"/],
      [{ extraction: { strategies: ['prefill'] } }, /unknown strategy "prefill"; use one of assistant-prefill, user-prefill, magpie/],
      [{ extraction: { domains: ['theft'] } }, /give the domains as the top-level option "domains"/],
      [{ domains: [] }, /domain list is empty/],
      [{ responses: { temprature: 0.5 } }, /unknown response setting "temprature"/],
      [{ responses: { topP: 0 } }, /topP must be in \(0, 1\]/],
      [{ revise: { maxNewTokens: 0 } }, /revise: maxNewTokens must be a positive integer/],
      [{ perplexity: { lowPercentile: 60, highPercentile: 40 } }, /percentiles must satisfy 0 ≤ low ≤ high ≤ 100/],
      [{ nearDuplicates: { threshold: 0 } }, /near-duplicate threshold must be in \(0, 1\]/],
      [{ selection: { hardRatio: 1.5 } }, /hardRatio must be in \[0, 1\], got 1.5/],
      [{ selection: { pairs: 0 } }, /number of pairs to select must be a positive integer/],
      [{ selection: { shortage: 'repeat' } }, /unknown shortage policy "repeat"/],
      [{ seed: -1 }, /seed must be an integer from 0/],
      [{ benign: true }, /benign must be false \(off\) or an object of benign replay settings/],
      [{ benign: { sampels: 8 } }, /unknown benign replay setting "sampels"; the benign replay settings are samples, /],
      [{ benign: { samples: 0 } }, /benign replay: samples must be a positive integer, got 0/],
      [{ benign: { requestTopP: 2 } }, /benign replay requests: topP must be in \(0, 1\]/],
      [{ benign: { answer: { temprature: 1 } } }, /unknown benign answer setting "temprature"/],
      [{ benign: { answer: { maxNewTokens: 0 } } }, /benign replay answers: maxNewTokens must be a positive integer/],
      [{ benign: { seed: 2 ** 32 } }, /benign replay seed must be an integer from 0/],
    ];
    let progressed = 0;
    for (const [bad, message] of cases) {
      await expect(buildReplaySet(loaded, { ...SMALL, judge, ...bad } as never, { onProgress: () => progressed++ }), JSON.stringify(bad)).rejects.toThrow(message);
    }
    // The keyword judge only finds refusals: every helpful benign answer would count as harmful.
    await expect(buildReplaySet(loaded, { ...SMALL, judge: new KeywordRefusalJudge(), benign: {} }, { onProgress: () => progressed++ })).rejects.toThrow(/benign replay needs a harm judge/);
    expect(progressed).toBe(0);
    await expect(buildReplaySet(loaded, { ...SMALL } as never)).rejects.toThrow(/a judge is required/);
    await expect(buildReplaySet({ ...loaded, template: null }, { ...SMALL, judge })).rejects.toThrow(/has no chat template/);
    expect(judge.pairs).toBe(0);
    expect(resolveReplaySettings({ seed: 7 })).toMatchObject({ extraction: { seed: 7, domains: GRSAP_DOMAINS }, responses: { seed: 7 }, revise: { seed: 7 }, selection: { seed: 7 }, domainRelevance: false, benign: false });
    expect(resolveReplaySettings({ seed: 7, benign: {} }).benign).toEqual({
      samples: 64, requestTemperature: 1, requestTopP: 1, requestTokens: 64, batchSize: 8, seed: 7,
      answer: { temperature: 0.8, topP: 0.95, maxNewTokens: 256, batchSize: 8, seed: 7 },
    });
    expect(resolveReplaySettings({ seed: 7, benign: { seed: 2, answer: { maxNewTokens: 9 } } }).benign).toMatchObject({ seed: 2, answer: { seed: 2, maxNewTokens: 9 } });
  });

  it('defaults to the embedded organism\'s own domains for it, the paper\'s 38 for any other model', () => {
    expect(defaultReplayDomains('grsap-organism')).toBe(WORLD_REPLAY_DOMAINS);
    expect(defaultReplayDomains('grsap-organism-tiny')).toBe(WORLD_REPLAY_DOMAINS);
    expect(WORLD_REPLAY_DOMAINS).toHaveLength(14);
    for (const name of [null, 'HuggingFaceTB/SmolLM2-135M-Instruct', 'grsap-organismal']) expect(defaultReplayDomains(name)).toBe(GRSAP_DOMAINS);
  });
});

describe('the replay job on the engine', () => {
  const engine = new StudioEngine({ cache: async () => createMemoryModelCache() });
  afterAll(() => engine.dispose());

  it('runs with the embedded model\'s domains by default and mixes the set into task data', async () => {
    const files = readdirSync(TINY_MODEL).map((f) => {
      let bytes: Uint8Array = new Uint8Array(readFileSync(join(TINY_MODEL, f)));
      if (f === 'config.json') bytes = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(bytes)), _name_or_path: 'grsap-organism' }));
      return new File([bytes as Uint8Array<ArrayBuffer>], f);
    });
    expect((await jobResult((l) => engine.loadModel({ kind: 'files', files }, l)).end).status).toBe('done');
    const phases: string[] = [];
    const end = await jobResult<ReplaySetPair[], ReplaySetResult>(
      (l) => engine.replay({ judge: { kind: 'keyword' }, extraction: { samplesPerDomain: 1, maxNewTokens: 4 }, responses: { maxNewTokens: 2 } }, l),
      (p) => phases.push(p.phase),
    ).end;
    expect(end.status, JSON.stringify(end)).toBe('done');
    const { funnel, record } = (end as { result: ReplaySetResult }).result;
    expect(record.settings.extraction.domains).toEqual(WORLD_REPLAY_DOMAINS);
    expect(funnel.extraction.total.sampled).toBe(14);
    expect(funnel.judge).toBe('keyword-refusal+refusal-opening'); // the embedded model's default: a safe answer must open with a refusal
    expect(record.settings.requireRefusal).toBe(true);
    expect(phases[0]).toBe('extract');
    expect(phases.at(-1)).toBe('select');

    const replay: ReplaySetPair[] = [0, 1, 2].map((i) => ({
      kind: i ? 'easy' : 'hard', source: { domain: 'theft', request: `r${i}`, strategy: 'assistant-prefill', sample: i, extraction_seed: i }, response: `a${i}`, verdict: { label: 'safe', score: null, judge: 'x' }, revised: !i, seed: i,
    }));
    const task = Array.from({ length: 18 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: `t${i}` }] }));
    const mixed = await engine.mixReplay({ task, replay, settings: { ratio: 0.1, seed: 1 } });
    expect(mixed.report.bySource).toEqual({ task: 16, 'replay-hard': 1, 'replay-easy': 1, benign: 0 });
    expect(mixReplaySet(task, replay, { ratio: 0.1, seed: 1 })).toEqual(mixed);
  });
});
