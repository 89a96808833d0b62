// buildReplaySet with benign replay on, on the tiny fixture model. Its untrained weights almost never
// end a turn, so the model here ends a turn at every third token id (Magpie requests and answers then
// stop after a few tokens) and decodes many ids as quotes (so extraction keeps requests). Wiring and
// arithmetic, not quality: benign pairs come after the selected safety pairs with their own funnel,
// stream as they finish, go through the saved layout into the mix, and survive a cancel.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { JobCancelledError, type JobProgress } from '../../src/studio/jobs';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { buildReplaySet, describeFunnel, type ReplaySetPair, type ReplaySetResult } from '../../src/studio/replay';
import { mixReplaySet, parseReplaySet, replaySetToJsonl } from '../../src/studio/replay-set';
import { TINY_MODEL } from '../cli/run-cli';
import { testGpu } from '../helpers/gpu';
import { HashJudge, quoteHeavy, SMALL } from './replay-helpers';

const BENIGN = { samples: 20, requestTokens: 12, batchSize: 5, answer: { maxNewTokens: 6 } };
const judge = () => new HashJudge(['harmful', 'safe', 'safe', 'unlabelled']); // keeps about half the benign answers

let loaded: LoadedModel;
let model: LoadedModel;
beforeAll(async () => {
  loaded = await loadModel(await testGpu(), new NodeFolderModelSource(TINY_MODEL, { id: 'tiny' }));
  const eosTokenIds = [2, ...Array.from({ length: 45 }, (_, i) => 7 * i + 3)];
  model = { ...loaded, tokenizer: quoteHeavy(loaded.tokenizer), cfg: { ...loaded.cfg, eosTokenIds } };
});
afterAll(() => loaded?.model.destroy());

let full: ReplaySetResult;

describe('buildReplaySet with benign replay', () => {
  it('adds judge-checked benign pairs after the selected safety pairs, with their funnel', async () => {
    const harm = judge();
    const progress: JobProgress<ReplaySetPair[]>[] = [];
    const delivered: ReplaySetPair[] = [];
    full = await buildReplaySet(model, { ...SMALL, judge: harm, benign: BENIGN }, { onProgress: (p) => progress.push(p), onRows: (r) => delivered.push(...r) });
    const { pairs, funnel, record } = full;

    const b = funnel.benign!;
    expect(b).toMatchObject({ judge: 'test:hash', refusalCheck: 'keyword-refusal', sampled: 20 });
    expect(b.unfinished + b.empty + b.duplicate + b.answered).toBe(b.sampled);
    expect(b.harmful + b.harmUnlabelled + b.refused + b.refusalUnlabelled + b.kept).toBe(b.answered);
    expect(b.kept).toBeGreaterThan(0);
    expect(b.harmful).toBeGreaterThan(0); // the judge is consulted: it drops some
    expect(b.kept).toBeGreaterThan(1);
    expect(harm.pairs).toBe(funnel.responded + funnel.firstAnswers.hard + b.answered); // the same judge saw every benign answer

    // The selection first, then the benign pairs.
    const safety = funnel.selected.total;
    expect(safety).toBeGreaterThan(0);
    expect(pairs).toHaveLength(safety + b.kept);
    expect(pairs.slice(0, safety).every((p) => p.kind !== 'benign')).toBe(true);
    const benign = pairs.slice(safety);
    for (const p of benign) {
      expect(p.kind).toBe('benign');
      expect(p.source).toMatchObject({ domain: 'benign', strategy: 'magpie' });
      expect(p.verdict).toMatchObject({ label: 'safe', judge: 'test:hash' });
      expect(p.revised).toBe(false);
      expect(p.source.request.trim()).not.toBe('');
    }
    expect(new Set(benign.map((p) => p.source.request)).size).toBe(benign.length);
    expect(new Set(delivered)).toEqual(new Set(pairs));
    expect(record).toMatchObject({ complete: true, refusalCheck: 'keyword-refusal', settings: { benign: { samples: 20, seed: SMALL.seed, requestTokens: 12 } } });
    expect(Object.keys(funnel.byDomain).sort()).toEqual(['theft', 'weapons']); // benign requests have no harm domain

    // Progress: a benign phase after the selection, its events carrying the benign pairs.
    const phases = progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases.slice(-2)).toEqual(['select', 'benign']);
    const benignEvents = progress.filter((p) => p.phase === 'benign');
    expect(benignEvents.map((p) => [p.done, p.total])).toEqual([[5, 20], [10, 20], [15, 20], [20, 20]]);
    expect(benignEvents.flatMap((p) => p.payload ?? [])).toEqual(benign);
    expect(progress.flatMap((p) => p.payload ?? [])).toEqual(delivered);

    const lines = describeFunnel(funnel).join('\n');
    expect(lines).toContain(`benign replay: ${b.kept} pairs kept of 20 requests the model wrote`);
    expect(lines).toContain(`${b.harmful} harmful, ${b.refused} refused, ${b.harmUnlabelled + b.refusalUnlabelled} unlabelled`);

    // Saved and read back, the benign pairs make the mix's benign rows.
    const back = parseReplaySet(replaySetToJsonl(pairs), 'replay.jsonl');
    expect(back.filter((p) => p.kind === 'benign').map((p) => [p.source.domain, p.source.request, p.response])).toEqual(benign.map((p) => [p.source.domain, p.source.request, p.response]));
    const task = Array.from({ length: 40 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `q${i}` }, { role: 'assistant' as const, content: `t${i}` }] }));
    const mixed = mixReplaySet(task, back, { ratio: 0.1, benignShare: 0.5, seed: 1 });
    expect(mixed.report.bySource.benign).toBe(Math.min(2, b.kept));
    expect(mixed.examples.filter((e) => e.meta?.mix_source === 'benign').map((e) => e.messages[0].content).every((r) => benign.some((p) => p.source.request === r))).toBe(true);
  });

  it('keeps the selection and the benign pairs of the batches finished before a cancel', async () => {
    const controller = new AbortController();
    const error = await buildReplaySet(model, { ...SMALL, judge: judge(), benign: BENIGN }, {
      signal: controller.signal,
      onRows: (rows) => {
        if (rows.some((p) => p.kind === 'benign')) controller.abort(); // in the first batch that kept a benign pair
      },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(JobCancelledError);
    const partial = error.partial as ReplaySetResult;
    expect(partial.funnel).toMatchObject({ complete: false, stoppedIn: 'benign' });
    expect(partial.funnel.selection).not.toBeNull();
    const b = partial.funnel.benign!;
    expect(b.sampled).toBeLessThan(20);
    expect(b.kept).toBeGreaterThan(0);
    // The same seed: the selection as in the full run, then the first benign pairs of it.
    expect(partial.pairs).toHaveLength(partial.funnel.selected.total + b.kept);
    expect(partial.pairs).toEqual(full.pairs.slice(0, partial.pairs.length));
    expect(partial.record.complete).toBe(false);
  });
});
