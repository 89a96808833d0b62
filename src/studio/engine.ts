// The engine behind the worker: owns the GPU, the loaded model and every long operation.

import { Gpu } from '../gpu/gpu';
import { loadModel, type LoadedModel } from './load-model';
import { runSelfCheck, type CheckResult } from '../ops/selfcheck';
import { CachedModelSource } from '../storage/cached-source';
import { createBrowserModelCache } from '../storage/cache-browser';
import type { ModelCache } from '../storage/cache';
import { FileListModelSource, type ModelSource } from '../storage/model-source';
import { hubModelSource, UrlModelSource } from '../storage/url-source';
import type { ChatMessage } from '../text/chat-template';
import type { ChatOptions, ChatReply, DeviceReport, LoadProgressReport, ModelRequest, ModelSummary, StudioApi } from '../worker/api';
import { generateTexts } from './inference';

export interface EngineOptions {
  /** The offline model cache; default: OPFS, else the Cache API, else memory. */
  cache?: () => Promise<ModelCache>;
}

export class StudioEngine implements StudioApi {
  private gpu: Promise<Gpu> | null = null;
  private loaded: LoadedModel | null = null;
  private cache: Promise<ModelCache> | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly options: EngineOptions = {}) {}

  private getGpu(): Promise<Gpu> {
    if (!this.gpu) {
      this.gpu = Gpu.create();
      // A failed acquisition must not stick: the user may fix the browser flags and retry.
      this.gpu.catch(() => (this.gpu = null));
    }
    return this.gpu;
  }

  private getCache(): Promise<ModelCache> {
    this.cache ??= (this.options.cache ?? (() => createBrowserModelCache()))();
    return this.cache;
  }

  private begin(): AbortSignal {
    this.abort?.abort();
    this.abort = new AbortController();
    return this.abort.signal;
  }

  async describeDevice(): Promise<DeviceReport> {
    const { device: _device, ...report } = (await this.getGpu()).info;
    return report;
  }

  async selfCheck(onResult?: (r: CheckResult, done: number, total: number) => void): Promise<CheckResult[]> {
    return runSelfCheck(await this.getGpu(), onResult);
  }

  private async source(request: ModelRequest, signal: AbortSignal, onProgress?: (p: LoadProgressReport) => void): Promise<ModelSource> {
    if (request.kind === 'files') return new FileListModelSource(request.files);
    const upstream = request.kind === 'hub' ? hubModelSource(request.repo, request.revision ?? 'main', request.token) : new UrlModelSource(request.url);
    const cached = new CachedModelSource(upstream, await this.getCache());
    if (await cached.isComplete()) return cached; // offline from here on
    await cached.ensureCached({
      signal,
      onProgress: (p) =>
        onProgress?.({ phase: 'download', done: p.overall.bytesDone, total: p.overall.bytesTotal ?? null, rateBytesPerSec: p.overall.rateBytesPerSec, etaSec: p.overall.etaSec ?? null, file: p.file }),
    });
    return cached;
  }

  async loadModel(request: ModelRequest, onProgress?: (p: LoadProgressReport) => void): Promise<ModelSummary> {
    const signal = this.begin();
    const gpu = await this.getGpu();
    const source = await this.source(request, signal, onProgress);
    this.loaded?.model.destroy();
    this.loaded = null;
    const t0 = performance.now();
    const loaded = await loadModel(gpu, source, {
      signal,
      onProgress: (p) => {
        const rate = p.bytesDone / Math.max(1e-3, (performance.now() - t0) / 1000);
        onProgress?.({ phase: 'upload', done: p.bytesDone, total: p.bytesTotal, rateBytesPerSec: rate, etaSec: (p.bytesTotal - p.bytesDone) / rate, file: p.name });
      },
    });
    this.loaded = loaded;
    const { cfg } = loaded;
    return {
      id: loaded.id,
      architecture: cfg.architecture,
      parameters: loaded.parameters,
      layers: cfg.nLayers,
      hidden: cfg.hidden,
      vocab: cfg.vocabSize,
      chatTemplate: loaded.template !== null,
      weightBytes: loaded.parameters * 4,
    };
  }

  async chat(messages: ChatMessage[], options: ChatOptions): Promise<ChatReply> {
    if (!this.loaded) throw new Error('No model is loaded: load one first.');
    const signal = this.begin();
    const t0 = performance.now();
    const [reply] = await generateTexts(this.loaded, [messages], {
      chat: true,
      maxNewTokens: options.maxNewTokens,
      sampling: { temperature: options.temperature, topP: options.topP, seed: options.seed },
      batchSize: 1,
      signal,
    });
    return { text: reply.completion, tokens: reply.tokens.length, finish: reply.finish, ms: performance.now() - t0 };
  }

  cancel(): void {
    this.abort?.abort();
  }

  dispose(): void {
    this.loaded?.model.destroy();
    this.loaded = null;
    void this.gpu?.then((g) => g.destroy());
    this.gpu = null;
  }
}
