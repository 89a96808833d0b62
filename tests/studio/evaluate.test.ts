// evaluateModel on the tiny fixture model (untrained: structure and arithmetic, not quality): greedy
// answers equal one-prompt-at-a-time generation, every row carries both judges' verdicts or its
// check, the summary is recomputed from the rows' JSONL, progress comes in the job shape, and a
// cancelled evaluation keeps the rows it finished.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { createLoraAdapter, DEFAULT_LORA, destroyLoraAdapter } from '../../src/model/lora';
import type { Judge, JudgePair, Verdict } from '../../src/safety/judges/judge';
import type { EvalSet } from '../../src/studio/eval-sets';
import { parseEvalRows, rowsToJsonl, summarizeRows, type EvalRow, type HarmfulSetSummary, type TaskSetSummary } from '../../src/studio/eval-summary';
import { evaluateModel, type EvaluationResult } from '../../src/studio/evaluate';
import { generateTexts } from '../../src/studio/inference';
import { JobCancelledError, JobQueue, type JobEnd, type JobProgress } from '../../src/studio/jobs';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { TINY_MODEL } from '../cli/run-cli';
import { testGpu } from '../helpers/gpu';

/** A judge whose label follows the prompt's first word ("bad" harmful, "odd" unlabelled, else safe), so the ratios are known. */
class PromptWordJudge implements Judge {
  readonly name = 'test:prompt-word';
  readonly measures = "'harmful' when the prompt starts with bad";
  calls = 0;
  async judge(pairs: readonly JudgePair[]): Promise<Verdict[]> {
    this.calls++;
    return pairs.map((p) => {
      const word = p.request.split(' ')[0];
      const label = word === 'bad' ? 'harmful' : word === 'odd' ? 'unlabelled' : 'safe';
      return { label, score: label === 'harmful' ? 0.75 : null, judge: this.name, detail: `first word ${word}` };
    });
  }
}

const MAX_NEW = 4;
let gpu: Gpu;
let loaded: LoadedModel;
let sets: EvalSet[];

beforeAll(async () => {
  gpu = await testGpu();
  loaded = await loadModel(gpu, new NodeFolderModelSource(TINY_MODEL));
  // The first task's reference is the model's own greedy answer, so one check must pass.
  const [own] = await generateTexts(loaded, ['say the weather'], { chat: true, maxNewTokens: MAX_NEW, sampling: { temperature: 0 }, batchSize: 1 });
  const item = (id: string, prompt: string, domain: string | null = null) => ({ id, prompt, domain, reference: null, check: null });
  sets = [
    { name: 'harm', kind: 'harmful', items: [item('h1', 'bad request one', 'fraud'), item('h2', 'fine request two', 'fraud'), item('h3', 'odd request three', 'theft')] },
    { name: 'over', kind: 'over-refusal', items: [item('o1', 'kill a stuck process'), item('o2', 'bad looking but benign')] },
    {
      name: 'task',
      kind: 'task',
      items: [
        { id: 't1', prompt: 'say the weather', domain: 'chat', reference: own.completion, check: { kind: 'exact' } },
        { id: 't2', prompt: 'what is two plus two', domain: 'sums', reference: 'zzz-not-an-answer', check: { kind: 'exact' } },
      ],
    },
  ];
});
afterAll(() => loaded?.model.destroy());

describe('evaluateModel', () => {
  it('answers greedily, judges and checks every row, and its summary comes back from the JSONL', async () => {
    const judge = new PromptWordJudge();
    const progress: JobProgress<EvalRow[]>[] = [];
    const result = await evaluateModel(loaded, sets, { harmJudge: judge, maxNewTokens: MAX_NEW, batchSize: 2, onProgress: (p) => progress.push(p) });
    const { rows, summary, record } = result;
    expect(rows.map((r) => `${r.set}/${r.id}`)).toEqual(['harm/h1', 'harm/h2', 'harm/h3', 'over/o1', 'over/o2', 'task/t1', 'task/t2']);

    const prompts = sets.flatMap((s) => s.items.map((i) => i.prompt));
    const alone = [];
    for (const p of prompts) alone.push(...(await generateTexts(loaded, [p], { chat: true, maxNewTokens: MAX_NEW, sampling: { temperature: 0 }, batchSize: 1 })));
    expect(rows.map((r) => r.answer)).toEqual(alone.map((a) => a.completion));
    expect(rows.map((r) => r.finish)).toEqual(alone.map((a) => a.finish));
    expect(rows.map((r) => r.tokens)).toEqual(alone.map((a) => a.tokens.length));
    expect(rows.every((r) => r.tokens >= 1 && r.tokens <= MAX_NEW)).toBe(true);

    for (const r of rows.slice(0, 5)) {
      expect(r.harm?.judge).toBe(judge.name);
      expect(r.keyword?.judge).toBe('keyword-refusal');
      expect(r.correct).toBeNull();
    }
    expect(rows.slice(5).map((r) => [r.harm, r.keyword, r.correct])).toEqual([[null, null, true], [null, null, false]]);

    const harm = summary.sets[0] as HarmfulSetSummary;
    expect(summary.judge).toBe(judge.name);
    expect(harm.harmful).toMatchObject({ judge: judge.name, harmful: 1, safe: 1, unlabelled: 1, labelled: 2, ratio: 50 });
    expect(harm.byDomain.map((d) => [d.domain, d.harmful.ratio])).toEqual([['fraud', 50], ['theft', null]]);
    const refused = rows.slice(0, 3).filter((r) => r.keyword!.label === 'safe').length;
    const complied = rows.slice(0, 3).filter((r) => r.keyword!.label === 'harmful').length;
    expect(harm.refusal).toMatchObject({ refused, complied });
    expect(summary.sets[1]).toMatchObject({ kind: 'over-refusal', examples: 2, labelledRefusal: null });
    expect(summary.sets[2] as TaskSetSummary).toMatchObject({ correct: 1, accuracy: 50 });

    expect(summarizeRows(parseEvalRows(rowsToJsonl(rows)))).toEqual(summary);
    expect(record).toMatchObject({ model: loaded.id, adaptation: null, judge: { name: judge.name }, settings: { maxNewTokens: MAX_NEW, batchSize: 2, greedy: true }, complete: true });

    // Batches never cross sets: harm 2+1, over 2, task 2; one judge call per judged batch.
    expect(judge.calls).toBe(3);
    expect(progress.map((p) => p.done)).toEqual([0, 2, 3, 5, 7]);
    expect(progress.every((p) => p.phase === 'evaluate' && p.unit === 'items' && p.total === 7)).toBe(true);
    expect(progress.slice(1).map((p) => p.payload!.map((r) => r.id))).toEqual([['h1', 'h2'], ['h3'], ['o1', 'o2'], ['t1', 't2']]);
  });

  it('keeps the finished rows when cancelled through the job queue', async () => {
    const queue = new JobQueue();
    let end!: JobEnd<EvaluationResult>;
    const ended = new Promise<void>((resolve) => {
      const id = queue.start<EvalRow[], EvaluationResult>(
        'evaluate',
        (ctx) => evaluateModel(loaded, sets, { harmJudge: new PromptWordJudge(), maxNewTokens: MAX_NEW, batchSize: 2, signal: ctx.signal, onProgress: ctx.progress }),
        (e) => {
          if (e.kind === 'progress' && e.done === 3) queue.cancel(id); // after the harmful set's two batches
          if (e.kind === 'end') {
            end = e;
            resolve();
          }
        },
      );
    });
    await ended;
    expect(end.status).toBe('cancelled');
    const partial = (end as { result: EvaluationResult }).result;
    expect(partial.rows.map((r) => r.id)).toEqual(['h1', 'h2', 'h3']);
    expect(partial.rows.every((r) => r.harm !== null && r.keyword !== null)).toBe(true);
    expect(partial.record.complete).toBe(false);
    expect(partial.summary).toEqual(summarizeRows(partial.rows));
    expect(partial.summary.sets.map((s) => s.set)).toEqual(['harm']);
  });

  it('evaluates whatever adapter is attached, and records it', async () => {
    const adapter = createLoraAdapter(gpu, loaded.cfg, { ...DEFAULT_LORA, r: 2, alpha: 4 });
    loaded.model.attach({ kind: 'lora', adapter });
    try {
      const { record, rows } = await evaluateModel(loaded, [sets[2]], { harmJudge: new PromptWordJudge(), maxNewTokens: MAX_NEW });
      expect(record.adaptation).toEqual({ kind: 'lora', r: 2, alpha: 4 });
      expect(rows).toHaveLength(2);
    } finally {
      loaded.model.detach();
      destroyLoraAdapter(adapter);
    }
  });

  it('stops at once on an aborted signal, with no rows', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await evaluateModel(loaded, sets, { harmJudge: new PromptWordJudge(), maxNewTokens: MAX_NEW, signal: controller.signal }).catch((e) => e);
    expect(error).toBeInstanceOf(JobCancelledError);
    expect((error.partial as EvaluationResult).rows).toEqual([]);
  });

  it('refuses sets it cannot evaluate, naming them', async () => {
    const judge = new PromptWordJudge();
    await expect(evaluateModel(loaded, [sets[0], sets[0]], { harmJudge: judge })).rejects.toThrow(/two sets are named "harm"/);
    await expect(evaluateModel(loaded, [{ name: 'empty', kind: 'harmful', items: [] }], { harmJudge: judge })).rejects.toThrow(/empty has no items/);
    const noReference = { name: 't', kind: 'task' as const, items: [{ id: 'x', prompt: 'p', domain: null, reference: null, check: null }] };
    await expect(evaluateModel(loaded, [noReference], { harmJudge: judge })).rejects.toThrow(/t item x has no reference/);
    await expect(evaluateModel(loaded, sets, { harmJudge: judge, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
  });
});
