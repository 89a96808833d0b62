import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryModelCache, entryName, type ModelCache } from '../../src/storage/cache';
import { createCacheApiModelCache, createOpfsModelCache } from '../../src/storage/cache-browser';
import { createNodeFolderModelCache } from '../../src/storage/cache-node';
import { MemoryRecordStore } from '../../src/storage/record-store';
import { FakeCacheStorage, FakeDirectoryHandle } from './helpers/fake-browser-storage';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'grsap-cache-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) % 251);
const streamOf = (data: Uint8Array, piece = 1000) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < data.length; at += piece) controller.enqueue(data.slice(at, at + piece));
      controller.close();
    },
  });

interface Kind {
  name: string;
  make: () => Promise<ModelCache>;
  resumes: boolean; // keeps an interrupted file's bytes for the next writer
}

const kinds: Kind[] = [
  { name: 'memory', make: async () => createMemoryModelCache(), resumes: true },
  { name: 'node folder', make: async () => createNodeFolderModelCache(await tempDir()), resumes: true },
  { name: 'OPFS (writable, move)', make: () => createOpfsModelCache({ root: new FakeDirectoryHandle('root'), records: new MemoryRecordStore() }), resumes: true },
  {
    name: 'OPFS (worker sync access, no move)',
    make: () => createOpfsModelCache({ root: new FakeDirectoryHandle('root', { writable: false, sync: true, move: false }), records: new MemoryRecordStore() }),
    resumes: true,
  },
  { name: 'Cache API', make: () => createCacheApiModelCache({ caches: new FakeCacheStorage(), records: new MemoryRecordStore() }), resumes: false },
];

describe.each(kinds)('ModelCache: $name', ({ make, resumes }) => {
  it('round-trips files given as bytes and as streams, with list and usage', async () => {
    const cache = await make();
    const weights = bytes(10_000);
    await cache.put('hf:a/b@main', 'config.json', new TextEncoder().encode('{"x":1}'));
    await cache.put('hf:a/b@main', 'model.safetensors', streamOf(weights));
    await cache.put('other', 'onnx/model.onnx', bytes(10, 2)); // a name with a folder in it
    expect(new TextDecoder().decode((await cache.get('hf:a/b@main', 'config.json'))!)).toBe('{"x":1}');
    const data = (await cache.open('hf:a/b@main', 'model.safetensors'))!;
    expect(data.size).toBe(10_000);
    expect([...(await data.read(4321, 100))]).toEqual([...weights.subarray(4321, 4421)]);
    await data.close?.();
    expect([...(await cache.get('other', 'onnx/model.onnx'))!]).toEqual([...bytes(10, 2)]);
    expect(await cache.has('hf:a/b@main', 'tokenizer.json')).toBe(false);
    expect(await cache.open('hf:a/b@main', 'tokenizer.json')).toBeNull();
    expect(await cache.open('never-seen', 'config.json')).toBeNull();

    const list = await cache.list();
    expect(list.map((m) => m.modelId).sort()).toEqual(['hf:a/b@main', 'other']);
    const ab = list.find((m) => m.modelId === 'hf:a/b@main')!;
    expect(ab).toMatchObject({ bytes: 10_007, complete: false });
    expect(ab.files.map((f) => f.name).sort()).toEqual(['config.json', 'model.safetensors']);
    expect((await cache.usage()).modelBytes).toBe(10_017);
  });

  it('shows nothing before commit, and keeps or drops an interrupted file as asked', async () => {
    const cache = await make();
    const data = bytes(5000);
    const first = await cache.writer('m', 'w.bin', { resumeTag: 'etag-1' });
    await first.write(data.subarray(0, 2000));
    expect(await cache.has('m', 'w.bin')).toBe(false);
    expect(await cache.open('m', 'w.bin')).toBeNull();
    await expect(cache.writer('m', 'w.bin')).rejects.toThrow(/already being written/);
    await first.close(); // interrupted: not committed
    expect(await cache.open('m', 'w.bin')).toBeNull();

    const second = await cache.writer('m', 'w.bin', { resumeTag: 'etag-1' });
    expect(second.bytesWritten).toBe(resumes ? 2000 : 0);
    await second.write(data.subarray(second.bytesWritten));
    await second.commit();
    expect([...(await cache.get('m', 'w.bin'))!]).toEqual([...data]);

    // Another remote version: the kept bytes must not be reused.
    const third = await cache.writer('m', 'v.bin', { resumeTag: 'etag-1' });
    await third.write(bytes(700));
    await third.close();
    const fourth = await cache.writer('m', 'v.bin', { resumeTag: 'etag-2' });
    expect(fourth.bytesWritten).toBe(0);
    await fourth.discard();
    expect(await cache.has('m', 'v.bin')).toBe(false);
  });

  it('drops a file whose verification fails at commit', async () => {
    const cache = await make();
    const writer = await cache.writer('m', 'model.safetensors');
    await writer.write(bytes(100));
    await expect(writer.commit(async (d) => {
      expect(d.size).toBe(100); // verify sees the written bytes
      throw new Error('header says 120 bytes');
    })).rejects.toThrow(/120 bytes/);
    expect(await cache.has('m', 'model.safetensors')).toBe(false);
    expect(await cache.open('m', 'model.safetensors')).toBeNull();
  });

  it('marks a model complete only when every file is present, and deletes it', async () => {
    const cache = await make();
    await cache.put('m', 'config.json', bytes(5));
    await expect(cache.markComplete('m', { files: ['config.json', 'model.safetensors'] })).rejects.toThrow(/model\.safetensors is not in the cache/);
    await cache.put('m', 'model.safetensors', bytes(50));
    const info = await cache.markComplete('m', { files: ['config.json', 'model.safetensors'], revision: 'main', source: 'hf:x' });
    expect(info).toMatchObject({ modelId: 'm', complete: true, revision: 'main', bytes: 55 });
    await cache.put('keep', 'a.json', bytes(3));

    // Rewriting a file makes the model incomplete until it is marked again.
    await (await cache.writer('m', 'config.json')).discard();
    expect((await cache.info('m'))!.complete).toBe(false);

    await cache.delete('m');
    expect(await cache.info('m')).toBeNull();
    expect(await cache.open('m', 'model.safetensors')).toBeNull();
    expect((await cache.list()).map((x) => x.modelId)).toEqual(['keep']);
    expect(await cache.get('keep', 'a.json')).not.toBeNull();
  });
});

describe('Node folder cache', () => {
  it('survives a restart: a new cache on the same folder lists and reads the model', async () => {
    const root = await tempDir();
    const before = await createNodeFolderModelCache(root);
    await before.put('hf:a/b@main', 'model.safetensors', bytes(3000));
    await before.markComplete('hf:a/b@main', { files: ['model.safetensors'] });
    const interrupted = await before.writer('hf:a/b@main', 'extra.bin', { resumeTag: 't' });
    await interrupted.write(bytes(123));
    await interrupted.close();

    const after = await createNodeFolderModelCache(root);
    expect(await after.list()).toMatchObject([{ modelId: 'hf:a/b@main', complete: true, bytes: 3000 }]);
    expect([...(await after.get('hf:a/b@main', 'model.safetensors'))!]).toEqual([...bytes(3000)]);
    const resumed = await after.writer('hf:a/b@main', 'extra.bin', { resumeTag: 't' });
    expect(resumed.bytesWritten).toBe(123);
    await resumed.discard();

    const dir = join(root, 'models', entryName('hf:a/b@main'));
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors']);
    await after.delete('hf:a/b@main');
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('unlists a file whose bytes changed on disk behind its back', async () => {
    const root = await tempDir();
    const cache = await createNodeFolderModelCache(root);
    await cache.put('m', 'model.safetensors', bytes(100));
    await cache.markComplete('m', { files: ['model.safetensors'] });
    await writeFile(join(root, 'models', 'm', 'model.safetensors'), bytes(60)); // truncated by someone else
    expect(await cache.open('m', 'model.safetensors')).toBeNull();
    expect(await cache.info('m')).toMatchObject({ complete: false, files: [] });
  });

  it('refuses model ids and file names that could escape the folder', async () => {
    const cache = await createNodeFolderModelCache(await tempDir());
    await expect(cache.writer('m', '../evil')).rejects.toThrow(/not a valid model file name/);
    await cache.put('..', 'x.json', bytes(2)); // stored under an encoded name, inside the cache
    expect(entryName('..')).toBe('%2E.');
    expect(entryName('hf:a/b@main')).toBe('hf%3Aa%2Fb%40main');
  });
});

describe('record stores', () => {
  it('MemoryRecordStore clones values in and out and lists keys by prefix', async () => {
    const store = new MemoryRecordStore();
    const value = { a: [1, 2] };
    await store.set('settings:ui', value);
    value.a.push(3);
    const got = (await store.get<{ a: number[] }>('settings:ui'))!;
    expect(got.a).toEqual([1, 2]);
    got.a.push(4);
    expect((await store.get<{ a: number[] }>('settings:ui'))!.a).toEqual([1, 2]);
    await store.set('model-cache:x', 1);
    expect(await store.keys('settings:')).toEqual(['settings:ui']);
    await store.delete('settings:ui');
    expect(await store.get('settings:ui')).toBeUndefined();
  });
});
