// A ModelSource that answers from the cache and fetches only what the cache lacks: the first load
// of a model downloads it (with progress), every later load runs offline.

import type { ByteSource } from '../util/byte-source';
import type { CachedModelInfo, ModelCache } from './cache';
import { downloadFile, downloadModel, type DownloadOptions } from './download';
import { parseJsonFile, readWholeText, type FileStat, type ModelSource } from './model-source';

export type CachedSourceOptions = Omit<DownloadOptions, 'modelId' | 'files'> & {
  modelId?: string; // cache key; default upstream.id
};

export class CachedModelSource implements ModelSource {
  readonly id: string;
  readonly revision?: string;

  /** `options` (progress, signal, retries) apply to the downloads that open() starts for missing files. */
  constructor(readonly upstream: ModelSource, readonly cache: ModelCache, private readonly options: CachedSourceOptions = {}) {
    this.id = options.modelId ?? upstream.id;
    this.revision = upstream.revision;
  }

  /** The cached state of the model; null when nothing of it is cached. */
  info(): Promise<CachedModelInfo | null> {
    return this.cache.info(this.id);
  }

  /** True when every file of the model is cached: loading it needs no network. */
  async isComplete(): Promise<boolean> {
    return (await this.info())?.complete ?? false;
  }

  /**
   * Downloads whatever the cache lacks and marks the model complete. Call it before loading to get
   * one progress bar for the whole model; without it, open() fetches file by file.
   */
  ensureCached(options: Omit<DownloadOptions, 'modelId'> = {}): Promise<CachedModelInfo> {
    return downloadModel(this.upstream, this.cache, { ...this.options, ...options, modelId: this.id });
  }

  async listFiles(): Promise<string[]> {
    const info = await this.info();
    if (info?.complete) return info.files.map((f) => f.name);
    if (this.upstream.listFiles) return this.upstream.listFiles();
    return info?.files.map((f) => f.name) ?? [];
  }

  async has(name: string): Promise<boolean> {
    const info = await this.info();
    if (info?.files.some((f) => f.name === name)) return true;
    // A complete model holds every file it has: the answer for the others is no, without a network.
    if (info?.complete) return false;
    return this.upstream.has(name);
  }

  async stat(name: string): Promise<FileStat | null> {
    const cached = (await this.info())?.files.find((f) => f.name === name);
    if (cached) return { size: cached.bytes };
    return this.upstream.stat ? this.upstream.stat(name) : (await this.upstream.has(name)) ? {} : null;
  }

  async open(name: string): Promise<ByteSource> {
    const hit = await this.cache.open(this.id, name);
    if (hit) return hit;
    await downloadFile(this.upstream, this.cache, this.id, name, this.options);
    const fetched = await this.cache.open(this.id, name);
    if (!fetched) throw new Error(`${name} was downloaded into the cache of ${this.id} but cannot be read back.`);
    return fetched;
  }

  async text(name: string): Promise<string> {
    return readWholeText(await this.open(name));
  }

  async json<T = unknown>(name: string): Promise<T> {
    return parseJsonFile<T>(await this.text(name), name, `${this.id} (cached)`);
  }
}
