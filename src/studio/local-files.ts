// What the engine keeps on this computer beside experiment runs: the models it downloaded (the
// model cache: OPFS, else the Cache API, else memory), and the Train step's files (checkpoints) in
// the origin-private file system. A model served beside the page (the embedded one) is read from
// there and never copied: the page's host serves it, and a copy would outlive an update of the app.

import { CachedModelSource } from '../storage/cached-source';
import { createBrowserModelCache, opfsFolderStore } from '../storage/cache-browser';
import type { BlobStore, CachedModelInfo, ModelCache } from '../storage/cache';
import { FileListModelSource, type ModelSource } from '../storage/model-source';
import { hubModelSource, UrlModelSource } from '../storage/url-source';
import type { LoadDetail, ModelRequest } from './api';
import type { JobProgress } from './jobs';

/** The OPFS folder of the Train step's kept files. */
export const KEPT_FILES_FOLDER = 'grsap-train-runs';

/** True for a URL on the origin of the page (or worker) the engine runs in. */
function servedBesideThePage(url: string): boolean {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  return origin !== undefined && origin !== 'null' && new URL(url).origin === origin;
}

export class LocalFiles {
  private cache: Promise<ModelCache> | null = null;
  private kept: Promise<BlobStore | null> | null = null;

  constructor(
    private readonly openCache: () => Promise<ModelCache> = createBrowserModelCache,
    private readonly openKept: () => Promise<BlobStore | null> = () => opfsFolderStore(KEPT_FILES_FOLDER),
  ) {}

  private modelCache(): Promise<ModelCache> {
    this.cache ??= this.openCache();
    return this.cache;
  }

  /** Where a requested model's files come from: downloaded into the cache first unless they are there (then offline) or local. */
  async modelSource(request: ModelRequest, signal: AbortSignal, progress: (p: JobProgress<LoadDetail>) => void): Promise<ModelSource> {
    if (request.kind === 'files') return new FileListModelSource(request.files);
    if (request.kind === 'url' && servedBesideThePage(request.url)) return new UrlModelSource(request.url);
    const upstream = request.kind === 'hub' ? hubModelSource(request.repo, request.revision ?? 'main', request.token, { endpoint: request.endpoint }) : new UrlModelSource(request.url);
    const cached = new CachedModelSource(upstream, await this.modelCache());
    if (await cached.isComplete()) return cached;
    await cached.ensureCached({
      signal,
      onProgress: (p) =>
        progress({ phase: 'download', unit: 'bytes', done: p.overall.bytesDone, total: p.overall.bytesTotal ?? null, rate: p.overall.rateBytesPerSec, etaSec: p.overall.etaSec ?? null, payload: { file: p.file } }),
    });
    return cached;
  }

  async cachedModels(): Promise<CachedModelInfo[]> {
    return (await this.modelCache()).list();
  }

  /** Deletes a cached model's files; never those of the model in use (`loadedId`). */
  async deleteCachedModel(modelId: string, loadedId: string | null): Promise<void> {
    if (modelId === loadedId) throw new Error(`${modelId} is the loaded model; load another model before deleting its files.`);
    await (await this.modelCache()).delete(modelId);
  }

  /** Keeps a file (written to a temporary entry, then moved into place); false where there is no OPFS. */
  async keep(name: string, bytes: Uint8Array): Promise<boolean> {
    const store = await (this.kept ??= this.openKept());
    if (!store) return false;
    const writer = await store.partial('files', name, false);
    try {
      await writer.write(bytes);
      await writer.commit();
    } catch (e) {
      await writer.discard().catch(() => {});
      throw e;
    }
    return true;
  }

  /** A kept file's bytes, or null when it was never kept (or there is no OPFS). */
  async read(name: string): Promise<Uint8Array | null> {
    const source = await (await (this.kept ??= this.openKept()))?.open('files', name);
    return source ? source.read(0, source.size) : null;
  }
}
