// The engine's files on this computer: kept files replace one another whole (a failed write leaves
// the earlier file), reading what was never kept gives null, a browser without OPFS keeps nothing
// here, and the loaded model's cached files cannot be deleted.

import { describe, expect, it } from 'vitest';
import { MemoryBlobStore, createMemoryModelCache, type BlobStore } from '../../src/storage/cache';
import { LocalFiles } from '../../src/studio/local-files';

/** A store whose writes fail after `okWrites` chunks (a full quota). */
function failingAfter(store: BlobStore, okWrites: number): BlobStore {
  let writes = 0;
  return {
    kind: store.kind,
    open: (m, f) => store.open(m, f),
    remove: (m, f) => store.remove(m, f),
    removeModel: (m) => store.removeModel(m),
    partial: async (m, f, resume) => {
      const writer = await store.partial(m, f, resume);
      return {
        get size() {
          return writer.size;
        },
        write: async (chunk) => {
          if (++writes > okWrites) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          await writer.write(chunk);
        },
        truncate: () => writer.truncate(),
        commit: () => writer.commit(),
        close: () => writer.close(),
        discard: () => writer.discard(),
      };
    },
  };
}

describe('LocalFiles', () => {
  it('keeps a file and reads it back; a second keep replaces it; an unknown name reads null', async () => {
    const local = new LocalFiles(async () => createMemoryModelCache(), async () => new MemoryBlobStore());
    expect(await local.read('plain.checkpoint')).toBeNull();
    expect(await local.keep('plain.checkpoint', new Uint8Array([1, 2, 3]))).toBe(true);
    expect([...(await local.read('plain.checkpoint'))!]).toEqual([1, 2, 3]);
    expect(await local.keep('plain.checkpoint', new Uint8Array([9]))).toBe(true);
    expect([...(await local.read('plain.checkpoint'))!]).toEqual([9]);
    expect(await local.read('grsap.checkpoint')).toBeNull();
  });

  it('leaves the earlier file when a write fails, and says so', async () => {
    const store = new MemoryBlobStore();
    const local = new LocalFiles(async () => createMemoryModelCache(), async () => failingAfter(store, 1));
    expect(await local.keep('plain.checkpoint', new Uint8Array([1, 2]))).toBe(true);
    await expect(local.keep('plain.checkpoint', new Uint8Array([7, 7, 7]))).rejects.toThrow(/quota/);
    expect([...(await local.read('plain.checkpoint'))!]).toEqual([1, 2]);
  });

  it('keeps nothing without OPFS (the page keeps the file itself)', async () => {
    const local = new LocalFiles(async () => createMemoryModelCache(), async () => null);
    expect(await local.keep('plain.checkpoint', new Uint8Array([1]))).toBe(false);
    expect(await local.read('plain.checkpoint')).toBeNull();
  });

  it('lists cached models and refuses to delete the loaded one', async () => {
    const local = new LocalFiles(async () => createMemoryModelCache(), async () => null);
    expect(await local.cachedModels()).toEqual([]);
    await expect(local.deleteCachedModel('hf:org/model@main', 'hf:org/model@main')).rejects.toThrow(/hf:org\/model@main is the loaded model; load another model before deleting its files/);
    await expect(local.deleteCachedModel('hf:org/other@main', 'hf:org/model@main')).resolves.toBeUndefined();
  });
});
