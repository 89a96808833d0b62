import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryModelCache, type ModelCache } from '../../src/storage/cache';
import { downloadFile, downloadModel, type DownloadProgress } from '../../src/storage/download';
import { ModelSourceError } from '../../src/storage/errors';
import type { ModelSource } from '../../src/storage/model-source';
import { hubModelSource } from '../../src/storage/url-source';
import { fakeModelFiles } from './helpers/fake-model';
import { ModelServer, type ServerOptions } from './helpers/model-server';

const REPO = 'acme/tiny-chat';
const WEIGHTS = 'model.safetensors';
let server: ModelServer | null = null;

async function serve(files: Map<string, Uint8Array>, options: ServerOptions = {}): Promise<ModelServer> {
  server = await new ModelServer(options).start();
  server.addRepo(REPO, files);
  return server;
}

afterEach(async () => {
  await server?.stop();
  server = null;
});

/** Fast retries and a short stall limit keep every failing case well under a second. */
const quick = { retryDelayMs: 5, stallTimeoutMs: 2000, maxAttempts: 4, progressIntervalMs: 0 };

async function cachedBytes(cache: ModelCache, modelId: string, file: string): Promise<number[] | null> {
  const bytes = await cache.get(modelId, file);
  return bytes ? [...bytes] : null;
}

function expectMonotonic(events: DownloadProgress[]): void {
  for (let i = 1; i < events.length; i++) {
    expect(events[i].overall.bytesDone).toBeGreaterThanOrEqual(events[i - 1].overall.bytesDone);
    if (events[i].file === events[i - 1].file && !events[i - 1].fileDone) {
      expect(events[i].bytesDone).toBeGreaterThanOrEqual(events[i - 1].bytesDone);
    }
  }
}

describe('downloadModel', () => {
  it('downloads every file with monotonic progress that ends complete', async () => {
    const files = fakeModelFiles({ weightFloats: 60_000 }); // 240 KB in 16 KiB pieces, 2 ms apart
    const s = await serve(files, { chunkDelayMs: 2 });
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const events: DownloadProgress[] = [];
    const info = await downloadModel(source, cache, { ...quick, onProgress: (p) => events.push(structuredClone(p)) });

    const total = [...files.values()].reduce((n, b) => n + b.length, 0);
    expect(info.complete).toBe(true);
    expect(info.bytes).toBe(total);
    expect(info.files.map((f) => f.name).sort()).toEqual([...files.keys()].sort());
    for (const [name, bytes] of files) expect(await cachedBytes(cache, source.id, name)).toEqual([...bytes]);

    expectMonotonic(events);
    // At least start + four 64 KiB reads, however the socket coalesces the 16 KiB pieces.
    expect(events.filter((e) => e.file === WEIGHTS && !e.fileDone).length).toBeGreaterThanOrEqual(5);
    for (const name of files.keys()) {
      const last = events.filter((e) => e.file === name).at(-1)!;
      expect(last).toMatchObject({ fileDone: true, bytesDone: files.get(name)!.length, bytesTotal: files.get(name)!.length, etaSec: 0 });
    }
    const last = events.at(-1)!.overall;
    expect(last).toMatchObject({ bytesDone: total, bytesTotal: total, filesDone: files.size, filesTotal: files.size, etaSec: 0 });
    expect(events[0].overall.bytesTotal).toBe(total); // sizes are known (HEAD) before the first byte
    expect(events.some((e) => e.rateBytesPerSec > 0)).toBe(true);
  });

  it('resumes a cut connection with a Range request and stores identical bytes', async () => {
    const files = fakeModelFiles({ weightFloats: 60_000 });
    const s = await serve(files);
    s.addFaults(REPO, WEIGHTS, [{ kind: 'cut', afterBytes: 50_000 }, { kind: 'cut', afterBytes: 70_000 }]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const events: DownloadProgress[] = [];
    await downloadModel(source, cache, { ...quick, onProgress: (p) => events.push(structuredClone(p)) });

    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    const ranges = s.gets(WEIGHTS).map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const resumedAt = Number(ranges[1]!.match(/^bytes=(\d+)-$/)![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(50_000);
    expect(ranges[2]).toMatch(/^bytes=\d+-$/);
    expect(events.filter((e) => e.file === WEIGHTS).map((e) => e.attempt).at(-1)).toBe(3);
    expectMonotonic(events); // resuming keeps the bytes, so progress never goes back
  });

  it('restarts cleanly when the server cannot resume', async () => {
    const files = fakeModelFiles({ weightFloats: 60_000 });
    const s = await serve(files, { ranges: false });
    s.addFaults(REPO, WEIGHTS, [{ kind: 'cut', afterBytes: 100_000 }]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    await downloadModel(source, cache, quick);
    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    expect(s.gets(WEIGHTS)).toHaveLength(2);
  });

  it('never marks a short file complete, gives up after a bounded number of tries, and resumes later', async () => {
    const files = fakeModelFiles({ weightFloats: 60_000 });
    const s = await serve(files);
    // Each response ends cleanly without a Content-Length after 10 kB: only the size from HEAD tells.
    const short = { kind: 'short-clean' as const, afterBytes: 10_000 };
    s.addFaults(REPO, WEIGHTS, [short, short, short, short]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const err = await downloadModel(source, cache, quick).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelSourceError);
    expect((err as ModelSourceError).message).toMatch(/model\.safetensors: the download stopped at 40000 of \d+ bytes\. Gave up after 4 attempts/);
    expect(s.gets(WEIGHTS)).toHaveLength(4); // bounded
    expect(await cache.has(source.id, WEIGHTS)).toBe(false);
    expect(await cache.open(source.id, WEIGHTS)).toBeNull();
    expect((await cache.info(source.id))!.complete).toBe(false);

    // Once the server behaves, the next call continues from the 40 kB kept and completes.
    const info = await downloadModel(source, cache, quick);
    expect(info.complete).toBe(true);
    expect(s.gets(WEIGHTS).at(-1)!.range).toBe('bytes=40000-');
    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
  });

  it('catches a truncated safetensors file by its header when nothing announces the size, and restarts cleanly', async () => {
    const files = fakeModelFiles({ weightFloats: 4_000 });
    const s = await serve(files);
    const short = { kind: 'short-clean' as const, afterBytes: 9_000 };
    s.addFaults(REPO, WEIGHTS, [short, short]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    // Without stat() (no HEAD) and without Content-Length, the byte count proves nothing.
    const noStat: ModelSource = {
      id: source.id,
      has: (n) => source.has(n),
      open: (n) => source.open(n),
      text: (n) => source.text(n),
      json: (n) => source.json(n),
      stream: (n, o) => source.stream(n, o),
    };
    const cache = createMemoryModelCache();
    const err = await downloadFile(noStat, cache, 'm', WEIGHTS, { ...quick, maxAttempts: 2 }).catch((e: unknown) => e);
    expect((err as ModelSourceError).message).toMatch(/header describes \d+ bytes but the file has 9000 \(truncated.*Gave up after 2 attempts/);
    expect(await cache.has('m', WEIGHTS)).toBe(false);

    await downloadFile(noStat, cache, 'm', WEIGHTS, quick);
    expect(await cachedBytes(cache, 'm', WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    // The rejected bytes were dropped: every request started from byte 0.
    expect(s.gets(WEIGHTS).map((r) => r.range)).toEqual([undefined, undefined, undefined]);
  });

  it('accepts a file whose bytes all arrived although the server announced more', async () => {
    const files = fakeModelFiles({ weightFloats: 4_000 });
    const s = await serve(files);
    s.addFaults(REPO, WEIGHTS, [{ kind: 'overlong-length', extraBytes: 100 }]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    await downloadModel(source, cache, quick);
    // Every byte came in the first response; the second attempt only had to verify and commit.
    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    expect(s.gets(WEIGHTS)).toHaveLength(1);
  });

  it('treats a stalled connection as cut, within the stall limit', async () => {
    const files = fakeModelFiles({ weightFloats: 8_000 });
    const s = await serve(files);
    s.addFaults(REPO, WEIGHTS, [{ kind: 'stall', afterBytes: 1000 }]);
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const started = performance.now();
    await downloadModel(source, cache, { ...quick, stallTimeoutMs: 200 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    expect(s.gets(WEIGHTS).map((r) => r.range)).toEqual([undefined, 'bytes=1000-']);
  });

  it('retries 5xx a bounded number of times and fails on 404 at once', async () => {
    const files = fakeModelFiles({ weightFloats: 800 });
    const s = await serve(files);
    s.addFaults(REPO, WEIGHTS, Array.from({ length: 10 }, () => ({ kind: 'status' as const, status: 503 })));
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const err = (await downloadModel(source, cache, quick).catch((e: unknown) => e)) as ModelSourceError;
    expect(err.message).toMatch(/HTTP 503.*Gave up after 4 attempts/);
    expect(s.gets(WEIGHTS)).toHaveLength(4);

    const missing = (await downloadModel(source, cache, { ...quick, files: ['config.json', 'absent.bin'] }).catch((e: unknown) => e)) as ModelSourceError;
    expect(missing.kind).toBe('not-found');
    expect(s.gets('absent.bin')).toHaveLength(0); // found missing by HEAD, before any transfer
  });

  it('stops on abort, keeps nothing as complete, and resumes later', async () => {
    const files = fakeModelFiles({ weightFloats: 60_000 });
    const s = await serve(files, { chunkDelayMs: 5 });
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: s.origin });
    const cache = createMemoryModelCache();
    const controller = new AbortController();
    let afterAbort = 0;
    const err = await downloadModel(source, cache, {
      ...quick,
      signal: controller.signal,
      onProgress: (p) => {
        if (controller.signal.aborted) afterAbort++;
        if (p.file === WEIGHTS && p.bytesDone > 50_000) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(afterAbort).toBe(0);
    expect(await cache.has(source.id, WEIGHTS)).toBe(false);
    expect((await cache.info(source.id))!.complete).toBe(false);
    expect(s.gets(WEIGHTS)).toHaveLength(1); // no retry after an abort

    await downloadModel(source, cache, quick);
    expect(await cachedBytes(cache, source.id, WEIGHTS)).toEqual([...files.get(WEIGHTS)!]);
    expect(s.gets(WEIGHTS).at(-1)!.range).toMatch(/^bytes=[1-9]\d*-$/); // resumed, same ETag
    expect(s.gets('config.json')).toHaveLength(1); // finished files are not fetched again
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const source = hubModelSource(REPO, 'main', undefined, { endpoint: 'http://127.0.0.1:9' });
    await expect(downloadModel(source, createMemoryModelCache(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
