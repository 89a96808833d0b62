// Downloads a model's files into a ModelCache: streamed chunk by chunk (no file is ever held whole
// in memory, unless the cache itself is in memory), with progress per file and overall,
// cancellable through an AbortSignal, retried a bounded number of times.
//
// Integrity, so that a cut or truncated file is NEVER listed as complete:
//   - bytes go to the cache's temporary entry; the cache lists the file only at commit();
//   - the count received must equal Content-Length, and the stored size the file's full size;
//   - commit() first checks the format (safetensors: header's data size = file size; JSON parses);
//   - a broken connection keeps the bytes and resumes with a Range request; a server that ignores
//     Range, answers from the wrong offset or sends more than it announced makes a clean restart.

import type { CachedModelInfo, CacheFileWriter, ModelCache } from './cache';
import { ModelSourceError, abortError, isAbortError, sleep, throwIfAborted } from './errors';
import { verifierFor } from './integrity';
import { missingFile, resolveModelFiles, type FileStat, type ModelSource } from './model-source';

export interface TransferState {
  bytesDone: number;
  bytesTotal?: number; // undefined while the size is unknown
  rateBytesPerSec: number; // over the last few seconds, bytes actually received
  etaSec?: number; // undefined while the total or the rate is unknown
}

export interface DownloadProgress extends TransferState {
  file: string; // the file being downloaded
  attempt: number; // 1 on the first try of this file
  fileDone: boolean; // this file is complete in the cache
  overall: TransferState & { filesDone: number; filesTotal: number };
}

export interface DownloadOptions {
  modelId?: string; // cache key; default source.id
  files?: string[]; // default: resolveModelFiles(source)
  signal?: AbortSignal;
  /** Non-decreasing within an attempt; a restart from zero (the server would not resume) goes back. */
  onProgress?: (p: DownloadProgress) => void;
  maxAttempts?: number; // tries per file; default 5
  retryDelayMs?: number; // pause before the second try, doubled after each, at most 8 s; default 500
  stallTimeoutMs?: number; // a request that yields no bytes for this long counts as cut; default 60 s
  progressIntervalMs?: number; // at most one progress call per interval (plus the first and last); default 100
  chunkBytes?: number; // read size when copying from a random-access source; default 8 MiB
}

const RATE_WINDOW_MS = 5000;

/** Receive rate over a sliding window of (time, cumulative bytes) samples. */
class RateMeter {
  private samples: { t: number; bytes: number }[];
  private received = 0;

  constructor(t: number) {
    this.samples = [{ t, bytes: 0 }];
  }
  add(bytes: number, t: number): void {
    this.received += bytes;
    this.samples.push({ t, bytes: this.received });
    while (this.samples.length > 2 && t - this.samples[1].t > RATE_WINDOW_MS) this.samples.shift();
  }
  rate(t: number): number {
    const first = this.samples[0];
    const seconds = (t - first.t) / 1000;
    return seconds > 0.01 ? (this.received - first.bytes) / seconds : 0;
  }
}

function transferState(done: number, total: number | undefined, rate: number): TransferState {
  const etaSec = total === undefined ? undefined : done >= total ? 0 : rate > 0 ? (total - done) / rate : undefined;
  return { bytesDone: done, bytesTotal: total, rateBytesPerSec: rate, etaSec };
}

/** Progress of one download call: the current file and all files together. */
class ProgressReporter {
  private readonly overallMeter = new RateMeter(performance.now());
  private fileMeter = this.overallMeter;
  private lastEmit = -Infinity;
  private filesDone = 0;
  private finishedBytes = 0;
  private file = '';
  private fileBytes = 0;
  private attempt = 1;

  constructor(
    private readonly sizes: Map<string, number | undefined>,
    private readonly onProgress: ((p: DownloadProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  startAttempt(file: string, attempt: number, bytesAlready: number): void {
    this.file = file;
    this.attempt = attempt;
    this.fileBytes = bytesAlready;
    this.fileMeter = new RateMeter(performance.now());
    this.emit(true, false);
  }
  learnSize(file: string, size: number): void {
    this.sizes.set(file, size);
  }
  received(bytes: number): void {
    const t = performance.now();
    this.fileBytes += bytes;
    this.fileMeter.add(bytes, t);
    this.overallMeter.add(bytes, t);
    this.emit(false, false);
  }
  restarted(): void {
    this.fileBytes = 0;
    this.emit(true, false);
  }
  finishFile(file: string, bytes: number): void {
    this.file = file;
    this.sizes.set(file, bytes);
    this.filesDone += 1;
    this.finishedBytes += bytes;
    this.fileBytes = bytes;
    this.emit(true, true);
    this.fileBytes = 0;
  }

  private emit(force: boolean, fileDone: boolean): void {
    if (!this.onProgress) return;
    const t = performance.now();
    if (!force && t - this.lastEmit < this.intervalMs) return;
    this.lastEmit = t;
    const sizes = [...this.sizes.values()];
    const overallTotal = sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a + b!, 0) : undefined;
    const overallDone = this.finishedBytes + (fileDone ? 0 : this.fileBytes);
    this.onProgress({
      file: this.file,
      attempt: this.attempt,
      fileDone,
      ...transferState(this.fileBytes, this.sizes.get(this.file), this.fileMeter.rate(t)),
      overall: { ...transferState(overallDone, overallTotal, this.overallMeter.rate(t)), filesDone: this.filesDone, filesTotal: this.sizes.size },
    });
  }
}

function describeCause(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const detail = err?.cause?.code ?? err?.cause?.message;
  return `${err?.message ?? String(e)}${detail ? `: ${detail}` : ''}`;
}

/** An error after which the temporary bytes cannot be trusted: drop them and start the file over. */
function restartNeeded(file: string, message: string): ModelSourceError {
  return new ModelSourceError('integrity', `${file}: ${message}`, { file, retryable: true });
}

interface FileJob {
  source: ModelSource;
  cache: ModelCache;
  modelId: string;
  file: string;
  stat: FileStat;
  options: DownloadOptions;
  progress: ProgressReporter;
}

/** One attempt: append the missing bytes to `writer`. Returns the file's full size when known. */
async function copyInto(job: FileJob, writer: CacheFileWriter, expectedSize: number | undefined): Promise<number | undefined> {
  const { source, file, options, progress } = job;
  const { signal } = options;
  if (expectedSize !== undefined && writer.bytesWritten > expectedSize) await writer.restart();
  if (expectedSize !== undefined && writer.bytesWritten === expectedSize) return expectedSize; // only the commit was missing

  if (!source.stream) {
    // Local sources: copy through random access, chunk by chunk.
    const data = await source.open(file);
    try {
      if (writer.bytesWritten > data.size) await writer.restart();
      const chunk = options.chunkBytes ?? 8 * 2 ** 20;
      for (let at = writer.bytesWritten; at < data.size; at += chunk) {
        throwIfAborted(signal);
        const bytes = await data.read(at, Math.min(chunk, data.size - at));
        await writer.write(bytes);
        progress.received(bytes.byteLength);
      }
      return data.size;
    } finally {
      await data.close?.();
    }
  }

  const stallMs = options.stallTimeoutMs ?? 60_000;
  const stallError = () => new ModelSourceError('network', `${file}: no data arrived for ${stallMs / 1000} s; the connection stalled.`, { file, retryable: true });
  // One controller per attempt: the user's signal and the stall watchdog both end the request.
  const controller = new AbortController();
  const onUserAbort = () => controller.abort(abortError(signal));
  signal?.addEventListener('abort', onUserAbort, { once: true });
  let stalled = false;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const kick = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => ((stalled = true), controller.abort(stallError())), stallMs);
  };
  let received = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    kick();
    const offset = writer.bytesWritten;
    const response = await source.stream(file, { offset, signal: controller.signal });
    reader = response.body.getReader();
    if (response.start !== offset) {
      if (response.start !== 0) throw restartNeeded(file, `asked to resume at byte ${offset}, the server sent bytes from ${response.start}.`);
      await writer.restart(); // the server ignored Range: take the whole file from the start
      progress.restarted();
    }
    if (response.size !== undefined) {
      if (expectedSize !== undefined && response.size !== expectedSize && writer.bytesWritten > 0) {
        throw restartNeeded(file, `the file on the server changed size (${expectedSize} → ${response.size} bytes) during the download.`);
      }
      expectedSize = response.size;
      progress.learnSize(file, expectedSize);
    }
    const announced = response.bodyLength;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      kick();
      if (announced !== undefined && received + value.byteLength > announced) {
        throw restartNeeded(file, `the server sent more than the ${announced} bytes it announced.`);
      }
      await writer.write(value);
      received += value.byteLength;
      progress.received(value.byteLength);
    }
    if (announced !== undefined && received < announced) {
      throw new ModelSourceError('network', `${file}: the connection ended after ${received} of the ${announced} bytes announced.`, { file, retryable: true });
    }
    return expectedSize;
  } catch (e) {
    void reader?.cancel().catch(() => {});
    if (signal?.aborted) throw abortError(signal);
    if (stalled) throw stallError();
    if (e instanceof ModelSourceError || isAbortError(e)) throw e;
    throw new ModelSourceError('network', `The connection broke while downloading ${file}, after ${received} bytes (${describeCause(e)}).`, { file, retryable: true }, e);
  } finally {
    clearTimeout(watchdog);
    signal?.removeEventListener('abort', onUserAbort);
  }
}

/** Downloads one file with retries; resolves to its size once it is complete in the cache. */
async function runFileJob(job: FileJob): Promise<number> {
  const { cache, modelId, file, stat, options, progress } = job;
  const { signal } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  // Bytes of an earlier session are reused only for the same remote version; without an ETag,
  // only the retries of this call share them.
  const resumeTag = stat.etag !== undefined && stat.size !== undefined
    ? `${stat.etag}|${stat.size}`
    : `session:${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  let expectedSize = stat.size;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(signal);
    const writer = await cache.writer(modelId, file, { resumeTag });
    let settled = false;
    try {
      progress.startAttempt(file, attempt, writer.bytesWritten);
      expectedSize = await copyInto(job, writer, expectedSize);
      const bytes = writer.bytesWritten;
      if (expectedSize !== undefined && bytes < expectedSize) {
        throw new ModelSourceError('network', `${file}: the download stopped at ${bytes} of ${expectedSize} bytes.`, { file, retryable: true });
      }
      if (expectedSize !== undefined && bytes > expectedSize) throw restartNeeded(file, `received ${bytes} bytes, the file has ${expectedSize}.`);
      settled = true;
      await writer.commit(verifierFor(file, expectedSize)); // on failure the cache drops the bytes
      progress.finishFile(file, bytes);
      return bytes;
    } catch (e) {
      if (!settled) {
        // Keep what arrived intact for a resume; drop what cannot be trusted.
        const untrusted = e instanceof ModelSourceError && e.kind === 'integrity';
        await (untrusted ? writer.discard() : writer.close()).catch(() => {});
      }
      if (signal?.aborted || isAbortError(e)) throw signal?.aborted ? abortError(signal) : e;
      const retryable = e instanceof ModelSourceError && e.retryable;
      if (!retryable) throw e;
      if (attempt >= maxAttempts) {
        throw new ModelSourceError(e.kind, `${e.message} Gave up after ${attempt} attempts.`, { file, status: e.status, url: e.url }, e);
      }
      await sleep(Math.min(8000, (options.retryDelayMs ?? 500) * 2 ** (attempt - 1)), signal);
    }
  }
}

async function statOf(source: ModelSource, file: string): Promise<FileStat> {
  if (!source.stat) return {};
  const stat = await source.stat(file);
  if (!stat) throw missingFile(file, source.id);
  return stat;
}

/**
 * Downloads every file of the model that the cache lacks, then marks the model complete. Files
 * already complete are not fetched again; an interrupted file resumes where it stopped.
 */
export async function downloadModel(source: ModelSource, cache: ModelCache, options: DownloadOptions = {}): Promise<CachedModelInfo> {
  const { signal } = options;
  throwIfAborted(signal);
  const modelId = options.modelId ?? source.id;
  const files = options.files ?? (await resolveModelFiles(source));
  // Sizes first, so the overall bar has a total; a missing file fails before any large transfer.
  const cached = new Map<string, number>();
  const stats = new Map<string, FileStat>();
  for (const file of files) {
    throwIfAborted(signal);
    const data = await cache.open(modelId, file); // open(), not has(): it notices evicted bytes
    if (data) {
      cached.set(file, data.size);
      await data.close?.();
    } else {
      stats.set(file, await statOf(source, file));
    }
  }
  const sizes = new Map(files.map((f) => [f, cached.get(f) ?? stats.get(f)?.size]));
  const progress = new ProgressReporter(sizes, options.onProgress, options.progressIntervalMs ?? 100);
  for (const file of files) {
    const size = cached.get(file);
    if (size !== undefined) progress.finishFile(file, size);
    else await runFileJob({ source, cache, modelId, file, stat: stats.get(file)!, options, progress });
  }
  return cache.markComplete(modelId, { files, revision: source.revision, source: source.id });
}

/** Downloads one file into the cache under `modelId` (no completeness bookkeeping); resolves to its size. */
export async function downloadFile(
  source: ModelSource,
  cache: ModelCache,
  modelId: string,
  file: string,
  options: Omit<DownloadOptions, 'modelId' | 'files'> = {},
): Promise<number> {
  throwIfAborted(options.signal);
  const stat = await statOf(source, file);
  const progress = new ProgressReporter(new Map([[file, stat.size]]), options.onProgress, options.progressIntervalMs ?? 100);
  return runFileJob({ source, cache, modelId, file, stat, options, progress });
}
