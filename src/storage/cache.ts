// The model cache: files of downloaded models kept for offline reuse.
//
// Two parts. A BlobStore holds bytes under (modelId, file) and knows nothing about completeness:
// OPFS and the Cache API in the browser (cache-browser.ts), a folder in Node (cache-node.ts), memory
// here. The index, a record per model in a RecordStore, is the single authority on what is
// complete: a file is listed only after all its bytes were written, counted and verified, so a cut
// or truncated download is never served as a finished file, whatever the blob store holds.

import { bufferSource, type ByteSource } from '../util/byte-source';
import { ModelSourceError, checkFileName } from './errors';
import { MemoryRecordStore, type RecordStore } from './record-store';

export type CacheKind = 'opfs' | 'cache-api' | 'memory' | 'node-folder';

export interface CachedFileInfo {
  name: string; // 'model.safetensors'
  bytes: number;
  savedAt: number; // ms since the epoch
}

export interface CachedModelInfo {
  modelId: string; // 'hf:HuggingFaceTB/SmolLM2-135M-Instruct@main'
  revision?: string; // 'main'
  source?: string; // where it was downloaded from, for display
  files: CachedFileInfo[]; // complete files only
  bytes: number; // sum over `files`
  savedAt: number; // last change, ms since the epoch
  complete: boolean; // every file the model needs is present (markComplete)
}

export interface CacheUsage {
  modelBytes: number; // bytes of complete files, from the index
  usedBytes?: number; // the origin's whole usage, where the browser tells (navigator.storage.estimate)
  quotaBytes?: number;
  persisted?: boolean; // the browser will not evict the data under storage pressure
}

/** Writes one file into a temporary entry; nothing is readable under its name before commit(). */
export interface CacheFileWriter {
  readonly file: string;
  /** Bytes in the temporary entry, including those kept from an interrupted attempt. */
  readonly bytesWritten: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Empties the temporary entry (the server would not resume). */
  restart(): Promise<void>;
  /** Makes the file readable once `verify` (given the written bytes) accepts it; on rejection nothing is kept. */
  commit(verify?: (data: ByteSource) => Promise<void>): Promise<void>;
  /** Stops without committing; keeps the bytes so a later writer with the same resumeTag continues. */
  close(): Promise<void>;
  /** Stops and drops the bytes. */
  discard(): Promise<void>;
}

export interface WriterOptions {
  /** Identifies the remote file version (ETag and size); bytes of an interrupted attempt are kept only if it matches. */
  resumeTag?: string;
}

export interface ModelCache {
  readonly kind: CacheKind;
  writer(modelId: string, file: string, options?: WriterOptions): Promise<CacheFileWriter>;
  /** Stores a whole file (bytes or a stream) and commits it. */
  put(modelId: string, file: string, data: Uint8Array | ReadableStream<Uint8Array>): Promise<void>;
  /** Random access to a complete file; null when it is not cached. */
  open(modelId: string, file: string): Promise<ByteSource | null>;
  /** A complete small file as bytes; null when it is not cached. */
  get(modelId: string, file: string): Promise<Uint8Array | null>;
  has(modelId: string, file: string): Promise<boolean>;
  info(modelId: string): Promise<CachedModelInfo | null>;
  /** Records that `files` make the whole model; fails, naming them, if any is not cached. */
  markComplete(modelId: string, details: { files: string[]; revision?: string; source?: string }): Promise<CachedModelInfo>;
  list(): Promise<CachedModelInfo[]>;
  delete(modelId: string): Promise<void>;
  usage(): Promise<CacheUsage>;
}

/** Bytes under (modelId, file), with one temporary entry per file. */
export interface BlobStore {
  readonly kind: CacheKind;
  /** The temporary entry of (modelId, file): its earlier bytes kept when `resume`, else emptied. */
  partial(modelId: string, file: string, resume: boolean): Promise<BlobWriter>;
  open(modelId: string, file: string): Promise<ByteSource | null>;
  remove(modelId: string, file: string): Promise<void>;
  removeModel(modelId: string): Promise<void>;
  estimate?(): Promise<Omit<CacheUsage, 'modelBytes'>>;
}

export interface BlobWriter {
  readonly size: number; // bytes in the temporary entry
  write(chunk: Uint8Array): Promise<void>;
  truncate(): Promise<void>; // to zero bytes
  commit(): Promise<void>; // temporary → final, replacing an older final entry
  close(): Promise<void>; // stop, keep the temporary bytes
  discard(): Promise<void>; // stop, drop the temporary bytes
}

/**
 * File-system-safe name for a model id or file name (flat: '/' is encoded too). Leading dots are
 * encoded so no name is '.', '..' or hidden; '*' is encoded for Windows.
 */
export function entryName(text: string): string {
  return encodeURIComponent(text).replace(/\*/g, '%2A').replace(/^\./, '%2E');
}

export function checkModelId(modelId: string): void {
  if (typeof modelId !== 'string' || modelId === '' || modelId.length > 400) {
    throw new ModelSourceError('invalid', `Model id ${JSON.stringify(modelId)} must be a non-empty string of at most 400 characters.`);
  }
}

// ---------------------------------------------------------------------------------------------
// The index and the ModelCache built on a BlobStore.

interface ModelRecord {
  modelId: string;
  revision?: string;
  source?: string;
  complete: boolean;
  savedAt: number;
  files: Record<string, { bytes: number; savedAt: number }>; // complete files
  partials: Record<string, { resumeTag?: string }>; // files with a temporary entry
}

const RECORD_PREFIX = 'model-cache:';

function toInfo(r: ModelRecord): CachedModelInfo {
  const files = Object.entries(r.files).map(([name, f]) => ({ name, bytes: f.bytes, savedAt: f.savedAt }));
  return {
    modelId: r.modelId,
    revision: r.revision,
    source: r.source,
    files,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    savedAt: r.savedAt,
    complete: r.complete,
  };
}

export class IndexedModelCache implements ModelCache {
  readonly kind: CacheKind;
  /** Index updates run one at a time: each is a read-modify-write of the model's record. */
  private indexQueue: Promise<unknown> = Promise.resolve();
  private readonly writing = new Set<string>(); // `${modelId}\n${file}` with an open writer

  constructor(private readonly blobs: BlobStore, private readonly records: RecordStore) {
    this.kind = blobs.kind;
  }

  private update(modelId: string, change: (r: ModelRecord) => void): Promise<ModelRecord> {
    const run = async () => {
      const r = (await this.records.get<ModelRecord>(RECORD_PREFIX + modelId)) ?? { modelId, complete: false, savedAt: Date.now(), files: {}, partials: {} };
      change(r);
      await this.records.set(RECORD_PREFIX + modelId, r);
      return r;
    };
    const result = this.indexQueue.then(run, run);
    this.indexQueue = result.catch(() => {});
    return result;
  }

  private record(modelId: string): Promise<ModelRecord | undefined> {
    return this.records.get<ModelRecord>(RECORD_PREFIX + modelId);
  }

  async writer(modelId: string, file: string, options: WriterOptions = {}): Promise<CacheFileWriter> {
    checkModelId(modelId);
    checkFileName(file);
    const key = `${modelId}\n${file}`;
    if (this.writing.has(key)) {
      throw new ModelSourceError('invalid', `${file} of ${modelId} is already being written to the cache.`, { file });
    }
    this.writing.add(key);
    let blob: BlobWriter;
    try {
      let resume = false;
      // Unlist the file first: from here until commit its bytes are in flux. A model missing
      // one of its files is no longer complete; a new extra file leaves it as it was.
      await this.update(modelId, (r) => {
        if (r.files[file]) r.complete = false;
        delete r.files[file];
        resume = options.resumeTag !== undefined && r.partials[file]?.resumeTag === options.resumeTag;
        r.partials[file] = { resumeTag: options.resumeTag };
      });
      blob = await this.blobs.partial(modelId, file, resume);
    } catch (e) {
      this.writing.delete(key);
      throw e;
    }
    let open = true;
    const settle = () => {
      if (!open) throw new ModelSourceError('invalid', `The cache writer of ${file} is already closed.`, { file });
      open = false;
      this.writing.delete(key);
    };
    const dropPartial = () => this.update(modelId, (r) => delete r.partials[file]);
    return {
      file,
      get bytesWritten() {
        return blob.size;
      },
      write: (chunk) => {
        if (!open) throw new ModelSourceError('invalid', `The cache writer of ${file} is closed.`, { file });
        return blob.write(chunk);
      },
      restart: () => blob.truncate(),
      close: async () => {
        settle();
        await blob.close();
      },
      discard: async () => {
        settle();
        await blob.discard();
        await dropPartial();
      },
      commit: async (verify) => {
        settle();
        const bytes = blob.size;
        try {
          await blob.commit();
          if (verify) {
            const data = await this.blobs.open(modelId, file);
            if (!data) throw new ModelSourceError('integrity', `${file} vanished from the cache right after it was written.`, { file });
            try {
              await verify(data);
            } finally {
              await data.close?.();
            }
          }
        } catch (e) {
          await this.blobs.remove(modelId, file).catch(() => {});
          await dropPartial();
          throw e;
        }
        await this.update(modelId, (r) => {
          const now = Date.now();
          r.files[file] = { bytes, savedAt: now };
          delete r.partials[file];
          r.savedAt = now;
        });
      },
    };
  }

  async put(modelId: string, file: string, data: Uint8Array | ReadableStream<Uint8Array>): Promise<void> {
    const writer = await this.writer(modelId, file);
    try {
      if (data instanceof Uint8Array) {
        await writer.write(data);
      } else {
        const reader = data.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          await writer.write(value);
        }
      }
    } catch (e) {
      await writer.discard();
      throw e;
    }
    await writer.commit();
  }

  async open(modelId: string, file: string): Promise<ByteSource | null> {
    const entry = (await this.record(modelId))?.files[file];
    if (!entry) return null;
    const data = await this.blobs.open(modelId, file);
    if (data && data.size === entry.bytes) return data;
    // The storage lost or changed the bytes (eviction, manual deletion): unlist the file.
    await data?.close?.();
    await this.update(modelId, (r) => {
      delete r.files[file];
      r.complete = false;
    });
    return null;
  }

  async get(modelId: string, file: string): Promise<Uint8Array | null> {
    const data = await this.open(modelId, file);
    if (!data) return null;
    try {
      return await data.read(0, data.size);
    } finally {
      await data.close?.();
    }
  }

  async has(modelId: string, file: string): Promise<boolean> {
    return (await this.record(modelId))?.files[file] !== undefined;
  }

  async info(modelId: string): Promise<CachedModelInfo | null> {
    const r = await this.record(modelId);
    return r ? toInfo(r) : null;
  }

  async markComplete(modelId: string, details: { files: string[]; revision?: string; source?: string }): Promise<CachedModelInfo> {
    const r = await this.update(modelId, (r) => {
      const missing = details.files.filter((f) => !r.files[f]);
      if (missing.length > 0) {
        throw new ModelSourceError('integrity', `${modelId} cannot be marked complete: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the cache.`);
      }
      r.complete = true;
      r.revision = details.revision;
      r.source = details.source;
      r.savedAt = Date.now();
    });
    return toInfo(r);
  }

  async list(): Promise<CachedModelInfo[]> {
    const keys = await this.records.keys(RECORD_PREFIX);
    const records = await Promise.all(keys.map((k) => this.records.get<ModelRecord>(k)));
    return records.filter((r): r is ModelRecord => r !== undefined).map(toInfo).sort((a, b) => b.savedAt - a.savedAt);
  }

  async delete(modelId: string): Promise<void> {
    if ([...this.writing].some((k) => k.startsWith(`${modelId}\n`))) {
      throw new ModelSourceError('invalid', `${modelId} is still being downloaded; cancel the download before deleting it.`);
    }
    await this.blobs.removeModel(modelId);
    const run = () => this.records.delete(RECORD_PREFIX + modelId);
    const result = this.indexQueue.then(run, run);
    this.indexQueue = result.catch(() => {});
    await result;
  }

  async usage(): Promise<CacheUsage> {
    const modelBytes = (await this.list()).reduce((n, m) => n + m.bytes, 0);
    return { modelBytes, ...(await this.blobs.estimate?.()) };
  }
}

// ---------------------------------------------------------------------------------------------
// In memory: tests, and browsers without OPFS or the Cache API (private windows). Lost on reload.

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export class MemoryBlobStore implements BlobStore {
  readonly kind = 'memory' as const;
  private readonly committed = new Map<string, Uint8Array>();
  private readonly partials = new Map<string, { chunks: Uint8Array[]; size: number }>();

  async partial(modelId: string, file: string, resume: boolean): Promise<BlobWriter> {
    const key = `${modelId}\n${file}`;
    let p = resume ? this.partials.get(key) : undefined;
    if (!p) this.partials.set(key, (p = { chunks: [], size: 0 }));
    const entry = p;
    return {
      get size() {
        return entry.size;
      },
      write: async (chunk) => {
        entry.chunks.push(chunk.slice()); // the caller may reuse its buffer
        entry.size += chunk.byteLength;
      },
      truncate: async () => {
        entry.chunks = [];
        entry.size = 0;
      },
      commit: async () => {
        this.committed.set(key, concat(entry.chunks, entry.size));
        this.partials.delete(key);
      },
      close: async () => {},
      discard: async () => {
        this.partials.delete(key);
      },
    };
  }

  async open(modelId: string, file: string): Promise<ByteSource | null> {
    const bytes = this.committed.get(`${modelId}\n${file}`);
    return bytes ? bufferSource(bytes, file) : null;
  }

  async remove(modelId: string, file: string): Promise<void> {
    this.committed.delete(`${modelId}\n${file}`);
  }

  async removeModel(modelId: string): Promise<void> {
    for (const map of [this.committed, this.partials]) {
      for (const key of [...map.keys()]) if (key.startsWith(`${modelId}\n`)) map.delete(key);
    }
  }
}

export function createMemoryModelCache(records: RecordStore = new MemoryRecordStore()): ModelCache {
  return new IndexedModelCache(new MemoryBlobStore(), records);
}
