// The engine the worker exposes, driven directly in Node: every long call is a job with progress in
// one shape and one final event. A Hub model (served on loopback) is downloaded into the cache with
// progress, loaded, and chats; the second load runs offline. Jobs are cancelled by id: a generation
// keeps its finished rows, a training run ends paused with its checkpoint, a queued job never runs.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryModelCache } from '../../src/storage/cache';
import type { ChatReply, GeneratedRow, LoadDetail, ModelSummary, TrainEvent, TrainResult } from '../../src/studio/api';
import { StudioEngine } from '../../src/studio/engine';
import { jobResult, type JobEvent, type JobListener, type JobProgress } from '../../src/studio/jobs';
import { ModelServer } from '../storage/helpers/model-server';

const TINY = join(import.meta.dirname, '..', 'fixtures', 'tiny-model');
const GREEDY = { maxNewTokens: 8, temperature: 0, topP: 1, seed: 0 };

/** Run a job to its end, recording every event in order. */
function collect<P, R>(start: (listener: JobListener<P, R>) => string) {
  const events: JobEvent<P, R>[] = [];
  const { id, end } = jobResult<P, R>((l) => start((e) => (events.push(e), l(e))));
  return { id, end, events };
}

describe('StudioEngine jobs', () => {
  const cache = createMemoryModelCache();
  const engine = new StudioEngine({ cache: async () => cache });
  const server = new ModelServer();
  let url = '';
  beforeAll(async () => {
    await server.start();
    server.addRepo('test/tiny', new Map(readdirSync(TINY).map((f) => [f, new Uint8Array(readFileSync(join(TINY, f)))])));
    url = `${server.origin}/test/tiny/resolve/main/`;
  });
  afterAll(async () => {
    engine.dispose();
    await server.stop();
  });

  it('downloads a model with progress, loads it, chats, and reloads it offline', async () => {
    const load = collect<LoadDetail, ModelSummary>((l) => engine.loadModel({ kind: 'url', url }, l));
    const end = await load.end;
    expect(end.status).toBe('done');
    const summary = (end as { result: ModelSummary }).result;
    expect(summary).toMatchObject({ architecture: 'LlamaForCausalLM', layers: 2, hidden: 32, chatTemplate: true });
    // One final event, and it is the last one.
    expect(load.events.filter((e) => e.kind === 'end')).toHaveLength(1);
    expect(load.events.at(-1)!.kind).toBe('end');
    const progress = load.events.filter((e): e is { kind: 'progress' } & JobProgress<LoadDetail> => e.kind === 'progress');
    const downloads = progress.filter((p) => p.phase === 'download');
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.at(-1)!.done).toBe(downloads.at(-1)!.total);
    const uploads = progress.filter((p) => p.phase === 'upload');
    expect(uploads.at(-1)!).toMatchObject({ unit: 'bytes', done: summary.weightBytes, total: summary.weightBytes });
    expect(uploads.at(-1)!.payload!.file).toMatch(/weight$/);

    const reply = await jobResult<never, ChatReply>((l) => engine.chat([{ role: 'user', content: 'hello there' }], GREEDY, l)).end;
    expect(reply.status).toBe('done');
    const first = (reply as { result: ChatReply }).result;
    expect(first.tokens).toBeGreaterThan(0);

    await server.stop();
    const again = await jobResult<LoadDetail, ModelSummary>((l) => engine.loadModel({ kind: 'url', url }, l)).end;
    expect(again).toMatchObject({ status: 'done', result: { id: summary.id } });
    expect(await jobResult<never, ChatReply>((l) => engine.chat([{ role: 'user', content: 'hello there' }], GREEDY, l)).end).toMatchObject({ status: 'done', result: { text: first.text } });

    // The cache lists it with its size; the loaded model's files cannot be deleted, another's can.
    const [listed] = await engine.cachedModels();
    expect(listed).toMatchObject({ modelId: summary.id, complete: true, bytes: readdirSync(TINY).reduce((n, f) => n + readFileSync(join(TINY, f)).length, 0) });
    await expect(engine.deleteCachedModel(summary.id)).rejects.toThrow(/is the loaded model; load another model before deleting its files/);
    await cache.put('url:https://example.org/other/', 'config.json', new Uint8Array([123, 125]));
    expect((await engine.cachedModels()).map((m) => m.modelId).sort()).toEqual([summary.id, 'url:https://example.org/other/'].sort());
    await engine.deleteCachedModel('url:https://example.org/other/');
    expect((await engine.cachedModels()).map((m) => m.modelId)).toEqual([summary.id]);
  });

  it('cancels a generation and keeps the rows of its finished batches', async () => {
    const prompts = Array.from({ length: 6 }, (_, i) => `prompt number ${i}`);
    let cancelled = false;
    const job = jobResult<GeneratedRow[], GeneratedRow[]>(
      (l) => engine.generate({ prompts, chat: true, maxNewTokens: 6, temperature: 0, topP: 1, seed: 0, batchSize: 2 }, l),
      () => {
        if (!cancelled) void job.id.then((id) => engine.cancel(id));
        cancelled = true;
      },
    );
    const end = await job.end;
    expect(end.status).toBe('cancelled');
    const rows = (end as { result: GeneratedRow[] }).result;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.length).toBeLessThan(6);
    expect(rows.map((r) => r.index)).toEqual(rows.map((_, i) => i));

    // The same rows as an uncancelled generation of those prompts (greedy).
    const full = await jobResult<GeneratedRow[], GeneratedRow[]>((l) => engine.generate({ prompts: prompts.slice(0, rows.length), chat: true, maxNewTokens: 6, temperature: 0, topP: 1, seed: 0, batchSize: 2 }, l)).end;
    expect((full as { result: GeneratedRow[] }).result.map((r) => r.text)).toEqual(rows.map((r) => r.text));
  });

  it('cancels a queued job before it runs, and a training job ends paused with its checkpoint', async () => {
    const train = Array.from({ length: 8 }, (_, i) => ({ messages: [{ role: 'user' as const, content: `question ${i}` }, { role: 'assistant' as const, content: `answer ${i}` }] }));
    const request = { train, config: { batchSize: 1, epochs: 2, lr: 1e-2, lora: { r: 4 } }, checkpointEvery: 4 };
    const checkpoints: Extract<TrainEvent, { kind: 'checkpoint' }>[] = [];
    let stopAt = 0;
    const training = jobResult<TrainEvent, TrainResult>(
      (l) => engine.train(request, l),
      (p) => {
        if (p.payload?.kind === 'checkpoint') checkpoints.push(p.payload);
        if (p.payload?.kind === 'point' && p.payload.point.step === 6 && !stopAt) {
          stopAt = 6;
          void training.id.then((id) => engine.cancel(id));
        }
      },
    );
    // Queued behind the training job, then cancelled: it ends without running.
    const queued = collect<never, ChatReply>((l) => engine.chat([{ role: 'user', content: 'hi' }], GREEDY, l));
    engine.cancel(await queued.id);

    const end = await training.end;
    expect(end.status).toBe('cancelled');
    const result = (end as { result: TrainResult }).result;
    expect(result.adapterId).toBeNull();
    // The cancel lands asynchronously: the step under way when it arrives still completes.
    const done = result.record.steps.done;
    expect(done).toBeGreaterThanOrEqual(6);
    expect(done).toBeLessThan(16);
    expect(result.record).toMatchObject({ status: 'paused', steps: { total: 16 }, checkpointStep: done });
    expect(checkpoints.map((c) => c.record.checkpointStep)).toEqual([4, done]);
    expect(await queued.end).toEqual({ status: 'cancelled', result: null });
    expect(queued.events).toHaveLength(1);
    expect(await engine.adapters()).toEqual([]);

    // Resuming from the last checkpoint finishes the run and registers its adapter, attached.
    const resumed = await jobResult<TrainEvent, TrainResult>((l) => engine.train({ ...request, resume: { checkpoint: checkpoints.at(-1)!.bytes, record: result.record } }, l)).end;
    expect(resumed.status).toBe('done');
    const { adapterId, record } = (resumed as { result: TrainResult }).result;
    expect(record).toMatchObject({ status: 'done', steps: { done: 16, total: 16 } });
    expect(record.losses.map(([s]) => s)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(await engine.adapters()).toMatchObject([{ id: adapterId, method: 'lora', attached: true }]);
    const files = await engine.exportAdapter(adapterId!);
    expect(Object.keys(files).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);

    // Untuned and tuned answers differ; detaching gives back the untuned one.
    const chat = async () => ((await jobResult<never, ChatReply>((l) => engine.chat([{ role: 'user', content: 'question 3' }], GREEDY, l)).end) as { result: ChatReply }).result.text;
    const tuned = await chat();
    await engine.attachAdapter(null);
    const untuned = await chat();
    expect(untuned).not.toBe(tuned);
    await engine.deleteAdapter(adapterId!);
    expect(await engine.adapters()).toEqual([]);
  });

  it('fails a job with a message saying what to do when no model is loaded', async () => {
    const end = await jobResult<never, ChatReply>((l) => new StudioEngine({ cache: async () => cache }).chat([{ role: 'user', content: 'x' }], GREEDY, l)).end;
    expect(end).toMatchObject({ status: 'failed' });
    expect((end as { error: string }).error).toMatch(/load one first/);
  });
});
