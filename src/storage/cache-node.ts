// The model cache in a folder on disk, for the CLI and tests. node:fs is imported when a cache is
// created, so importing this module from browser code costs nothing until it is called.
//
// Layout:  {root}/index.json                         the index (RecordStore as one JSON file)
//          {root}/models/{modelId}/{file}            complete files (names through entryName)
//          {root}/models/{modelId}/{file}.partial    the temporary entry of a file being written

import { entryName, IndexedModelCache, type BlobStore, type BlobWriter, type ModelCache } from './cache';
import type { ByteSource } from '../util/byte-source';
import { ModelSourceError } from './errors';
import type { RecordStore } from './record-store';

type Fs = typeof import('node:fs/promises');

function isMissing(e: unknown): boolean {
  return (e as { code?: string }).code === 'ENOENT';
}

class NodeFolderBlobStore implements BlobStore {
  readonly kind = 'node-folder' as const;

  constructor(private readonly root: string, private readonly fs: Fs) {}

  private dir(modelId: string): string {
    return `${this.root}/models/${entryName(modelId)}`;
  }
  private path(modelId: string, file: string): string {
    return `${this.dir(modelId)}/${entryName(file)}`;
  }

  async partial(modelId: string, file: string, resume: boolean): Promise<BlobWriter> {
    const { fs } = this;
    await fs.mkdir(this.dir(modelId), { recursive: true });
    const finalPath = this.path(modelId, file);
    const partialPath = `${finalPath}.partial`;
    // Append mode: every write lands at the end, so resuming continues where the last attempt stopped.
    const handle = await fs.open(partialPath, resume ? 'a' : 'w');
    let size = resume ? (await handle.stat()).size : 0;
    return {
      get size() {
        return size;
      },
      async write(chunk) {
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
          done += bytesWritten;
        }
        size += chunk.byteLength;
      },
      async truncate() {
        await handle.truncate(0);
        size = 0;
      },
      async commit() {
        await handle.sync();
        await handle.close();
        await fs.rename(partialPath, finalPath); // atomic: readers see the old file or the new, never half
      },
      close: () => handle.close(),
      async discard() {
        await handle.close();
        await fs.rm(partialPath, { force: true });
      },
    };
  }

  async open(modelId: string, file: string): Promise<ByteSource | null> {
    const { nodeFileSource } = await import('./node-file-source');
    try {
      return await nodeFileSource(this.path(modelId, file));
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async remove(modelId: string, file: string): Promise<void> {
    await this.fs.rm(this.path(modelId, file), { force: true });
  }

  async removeModel(modelId: string): Promise<void> {
    await this.fs.rm(this.dir(modelId), { recursive: true, force: true });
  }
}

/**
 * Records in one JSON file, re-read on every call so two processes sharing a cache folder see each
 * other's finished downloads; writes go to a temporary file renamed over the index.
 */
export class JsonFileRecordStore implements RecordStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string, private readonly fs: Fs) {}

  private async load(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await this.fs.readFile(this.path, 'utf8');
    } catch (e) {
      if (isMissing(e)) return {};
      throw e;
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ModelSourceError('integrity', `The cache index ${this.path} is not valid JSON; delete it to start the cache afresh.`);
    }
  }

  private modify(change: (data: Record<string, unknown>) => void): Promise<void> {
    const run = async () => {
      const data = await this.load();
      change(data);
      const tmp = `${this.path}.${process.pid}.tmp`;
      await this.fs.writeFile(tmp, JSON.stringify(data));
      await this.fs.rename(tmp, this.path);
    };
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => {});
    return result;
  }

  async get<T>(key: string): Promise<T | undefined> {
    await this.writes;
    return (await this.load())[key] as T | undefined;
  }
  set(key: string, value: unknown): Promise<void> {
    return this.modify((data) => (data[key] = structuredClone(value)));
  }
  delete(key: string): Promise<void> {
    return this.modify((data) => delete data[key]);
  }
  async keys(prefix = ''): Promise<string[]> {
    await this.writes;
    return Object.keys(await this.load()).filter((k) => k.startsWith(prefix));
  }
}

/** A cache in `root` (created if needed); reusable across runs and processes. */
export async function createNodeFolderModelCache(root: string): Promise<ModelCache> {
  const fs = await import('node:fs/promises');
  const folder = root.replace(/[/\\]+$/, '');
  await fs.mkdir(`${folder}/models`, { recursive: true });
  return new IndexedModelCache(new NodeFolderBlobStore(folder, fs), new JsonFileRecordStore(`${folder}/index.json`, fs));
}
