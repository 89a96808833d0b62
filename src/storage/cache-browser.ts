// The model cache in the browser. First choice: the Origin Private File System (OPFS), which
// holds multi-GB files on disk and reads any range of them. Fallback: the Cache API (older
// browsers, or where OPFS is blocked). Last resort: memory. The index lives in IndexedDB
// (record-store.ts). Only the members used are declared, so tests can hand in fakes.

import { blobSource, type ByteSource } from '../util/byte-source';
import { createMemoryModelCache, entryName, IndexedModelCache, type BlobStore, type BlobWriter, type CacheUsage, type ModelCache } from './cache';
import { defaultRecordStore, MemoryRecordStore, type RecordStore } from './record-store';

interface WritableFileStreamLike {
  write(data: Uint8Array): Promise<void>;
  seek(position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}
/** Worker-only synchronous access: writes reach the disk at once, so resuming survives a crash. */
interface SyncAccessHandleLike {
  write(data: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}
export interface OpfsFileHandle {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
  createWritable?(options?: { keepExistingData?: boolean }): Promise<WritableFileStreamLike>;
  createSyncAccessHandle?(): Promise<SyncAccessHandleLike>;
  move?(newName: string): Promise<void>;
}
export interface OpfsDirectoryHandle {
  readonly kind: 'directory';
  readonly name: string;
  getFileHandle(name: string, options?: { create?: boolean }): Promise<OpfsFileHandle>;
  getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<OpfsDirectoryHandle>;
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>;
}

function ignoreNotFound(e: unknown): void {
  if ((e as { name?: string } | null)?.name !== 'NotFoundError') throw e;
}

async function storageEstimate(): Promise<Omit<CacheUsage, 'modelBytes'>> {
  const storage = (globalThis as { navigator?: Navigator }).navigator?.storage;
  if (!storage?.estimate) return {};
  const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted?.().catch(() => undefined)]);
  return { usedBytes: estimate.usage, quotaBytes: estimate.quota, persisted };
}

/** Asks the browser not to evict the cache under storage pressure; true when granted. */
export async function requestPersistentStorage(): Promise<boolean> {
  try {
    return (await (globalThis as { navigator?: Navigator }).navigator?.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// OPFS: {root}/grsap-models/{modelId}/{file}, the temporary entry beside it as {file}.partial.

const COPY_CHUNK_BYTES = 8 * 2 ** 20;

export class OpfsBlobStore implements BlobStore {
  readonly kind = 'opfs' as const;

  constructor(private readonly models: OpfsDirectoryHandle) {}

  private async modelDir(modelId: string, create: boolean): Promise<OpfsDirectoryHandle | null> {
    try {
      return await this.models.getDirectoryHandle(entryName(modelId), { create });
    } catch (e) {
      ignoreNotFound(e);
      return null;
    }
  }

  async partial(modelId: string, file: string, resume: boolean): Promise<BlobWriter> {
    const dir = (await this.modelDir(modelId, true))!;
    const name = entryName(file);
    const partialName = `${name}.partial`;
    const handle = await dir.getFileHandle(partialName, { create: true });
    const finish = () => this.replace(dir, handle, partialName, name);
    const drop = () => dir.removeEntry(partialName).catch(ignoreNotFound);
    if (handle.createSyncAccessHandle) {
      const access = await handle.createSyncAccessHandle();
      let size = resume ? access.getSize() : 0;
      if (!resume) access.truncate(0);
      return {
        get size() {
          return size;
        },
        async write(chunk) {
          let done = 0;
          while (done < chunk.byteLength) done += access.write(chunk.subarray(done), { at: size + done });
          size += chunk.byteLength;
        },
        async truncate() {
          access.truncate(0);
          size = 0;
        },
        async commit() {
          access.flush();
          access.close();
          await finish();
        },
        async close() {
          access.flush();
          access.close();
        },
        async discard() {
          access.close();
          await drop();
        },
      };
    }
    if (!handle.createWritable) throw new Error('OPFS: this browser can neither createWritable nor createSyncAccessHandle.');
    // A writable stream lands in the file at close(): a crash loses this attempt, a cut connection does not.
    const writable = await handle.createWritable({ keepExistingData: resume });
    let size = resume ? (await handle.getFile()).size : 0;
    if (resume) await writable.seek(size);
    return {
      get size() {
        return size;
      },
      async write(chunk) {
        await writable.write(chunk);
        size += chunk.byteLength;
      },
      async truncate() {
        await writable.truncate(0);
        size = 0;
      },
      async commit() {
        await writable.close();
        await finish();
      },
      close: () => writable.close(),
      async discard() {
        await writable.abort();
        await drop();
      },
    };
  }

  /** Temporary entry → final name: move() where the browser has it, else a chunked copy. */
  private async replace(dir: OpfsDirectoryHandle, partial: OpfsFileHandle, partialName: string, name: string): Promise<void> {
    await dir.removeEntry(name).catch(ignoreNotFound);
    if (partial.move) {
      await partial.move(name);
      return;
    }
    const source = await partial.getFile();
    const target = await dir.getFileHandle(name, { create: true });
    if (target.createSyncAccessHandle) {
      const access = await target.createSyncAccessHandle();
      try {
        access.truncate(0);
        for (let at = 0; at < source.size; at += COPY_CHUNK_BYTES) {
          const chunk = new Uint8Array(await source.slice(at, at + COPY_CHUNK_BYTES).arrayBuffer());
          for (let done = 0; done < chunk.byteLength; ) done += access.write(chunk.subarray(done), { at: at + done });
        }
        access.flush();
      } finally {
        access.close();
      }
    } else {
      const writable = await target.createWritable!();
      for (let at = 0; at < source.size; at += COPY_CHUNK_BYTES) {
        await writable.write(new Uint8Array(await source.slice(at, at + COPY_CHUNK_BYTES).arrayBuffer()));
      }
      await writable.close();
    }
    await dir.removeEntry(partialName).catch(ignoreNotFound);
  }

  async open(modelId: string, file: string): Promise<ByteSource | null> {
    const dir = await this.modelDir(modelId, false);
    if (!dir) return null;
    try {
      return blobSource(await (await dir.getFileHandle(entryName(file))).getFile(), file);
    } catch (e) {
      ignoreNotFound(e);
      return null;
    }
  }

  async remove(modelId: string, file: string): Promise<void> {
    await (await this.modelDir(modelId, false))?.removeEntry(entryName(file)).catch(ignoreNotFound);
  }

  async removeModel(modelId: string): Promise<void> {
    await this.models.removeEntry(entryName(modelId), { recursive: true }).catch(ignoreNotFound);
  }

  estimate = storageEstimate;
}

/** A BlobStore in the origin-private file system's folder `name` (created), or null where there is none or it is blocked (some private windows). */
export async function opfsFolderStore(name: string): Promise<BlobStore | null> {
  try {
    const storage = (globalThis as { navigator?: Navigator }).navigator?.storage;
    if (!storage?.getDirectory) return null;
    const root = (await storage.getDirectory()) as unknown as OpfsDirectoryHandle;
    return new OpfsBlobStore(await root.getDirectoryHandle(name, { create: true }));
  } catch {
    return null;
  }
}

export async function createOpfsModelCache(options: { root?: OpfsDirectoryHandle; records?: RecordStore } = {}): Promise<ModelCache> {
  const root = options.root ?? ((await navigator.storage.getDirectory()) as unknown as OpfsDirectoryHandle);
  const models = await root.getDirectoryHandle('grsap-models', { create: true });
  return new IndexedModelCache(new OpfsBlobStore(models), options.records ?? defaultRecordStore());
}

// ---------------------------------------------------------------------------------------------
// Cache API: one Response per file under a synthetic URL. It cannot append, so an interrupted
// file always restarts from zero. put() of a streamed Response stores nothing when the stream
// errors, which is how an abandoned attempt is dropped.

export interface CacheLike {
  put(request: string, response: Response): Promise<void>;
  match(request: string): Promise<Response | undefined>;
  delete(request: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}
export interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
}

const CACHE_ORIGIN = 'https://grsap-model-cache.invalid';

export class CacheApiBlobStore implements BlobStore {
  readonly kind = 'cache-api' as const;

  constructor(private readonly cache: CacheLike) {}

  private url(modelId: string, file: string): string {
    return `${CACHE_ORIGIN}/${entryName(modelId)}/${entryName(file)}`;
  }

  async partial(modelId: string, file: string): Promise<BlobWriter> {
    const url = this.url(modelId, file);
    let size = 0;
    let writer: WritableStreamDefaultWriter<Uint8Array>;
    let stored: Promise<void>;
    const start = () => {
      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      writer = pipe.writable.getWriter();
      stored = this.cache.put(url, new Response(pipe.readable));
      stored.catch(() => {}); // observed in commit(); an abandoned attempt rejects on purpose
    };
    const abandon = async () => {
      await writer.abort(new Error('cache write abandoned')).catch(() => {});
      await stored.catch(() => {});
    };
    start();
    return {
      get size() {
        return size;
      },
      async write(chunk) {
        // Resolves once put() has taken the chunk: the download cannot outrun the disk.
        await writer.write(chunk.slice());
        size += chunk.byteLength;
      },
      async truncate() {
        await abandon();
        size = 0;
        start();
      },
      async commit() {
        await writer.close();
        await stored;
      },
      close: abandon,
      discard: abandon,
    };
  }

  async open(modelId: string, file: string): Promise<ByteSource | null> {
    const response = await this.cache.match(this.url(modelId, file));
    // Browsers back a cached response's Blob by the disk entry: slicing it reads only the range.
    return response ? blobSource(await response.blob(), file) : null;
  }

  async remove(modelId: string, file: string): Promise<void> {
    await this.cache.delete(this.url(modelId, file));
  }

  async removeModel(modelId: string): Promise<void> {
    const prefix = `${CACHE_ORIGIN}/${entryName(modelId)}/`;
    for (const request of await this.cache.keys()) if (request.url.startsWith(prefix)) await this.cache.delete(request.url);
  }

  estimate = storageEstimate;
}

export async function createCacheApiModelCache(options: { caches?: CacheStorageLike; records?: RecordStore } = {}): Promise<ModelCache> {
  const storage = options.caches ?? (globalThis as unknown as { caches: CacheStorageLike }).caches;
  const cache = await storage.open('grsap-models-v1');
  return new IndexedModelCache(new CacheApiBlobStore(cache), options.records ?? defaultRecordStore());
}

/**
 * The best cache this browser offers: OPFS, else the Cache API, else memory (lost on reload).
 * `persist` asks the browser to keep the data under storage pressure (it may prompt or decline).
 */
export async function createBrowserModelCache(options: { persist?: boolean; records?: RecordStore } = {}): Promise<ModelCache> {
  const g = globalThis as { navigator?: Navigator; caches?: unknown };
  let cache: ModelCache | null = null;
  if (g.navigator?.storage?.getDirectory) {
    // OPFS is refused in some private windows; fall through to the next option then.
    cache = await createOpfsModelCache({ records: options.records }).catch(() => null);
  }
  if (!cache && g.caches) cache = await createCacheApiModelCache({ records: options.records }).catch(() => null);
  if (!cache) return createMemoryModelCache(new MemoryRecordStore()); // an index on disk would outlive memory blobs
  if (options.persist ?? true) await requestPersistentStorage();
  return cache;
}
