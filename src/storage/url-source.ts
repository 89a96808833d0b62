// Model files over HTTP: the Hugging Face Hub (`{endpoint}/{repo}/resolve/{revision}/{file}`), the
// embedded demo model served next to the app, or any base URL. Random access uses Range requests,
// so opening a 2 GB safetensors file reads its header and then each tensor, never the whole file.
// A server that ignores Range gets the whole body read into memory by open(); downloads into the
// cache (download.ts) stream instead and suit large files on such servers.

import { bufferSource, checkRange, type ByteSource } from '../util/byte-source';
import { ModelSourceError, abortError, checkFileName, isAbortError, sleep } from './errors';
import { parseJsonFile, type FileStat, type ModelSource, type StreamedFile } from './model-source';

export interface UrlModelSourceOptions {
  token?: string; // Hub access token ('hf_…'), sent as `Authorization: Bearer` for gated or private repos
  fetch?: typeof fetch; // replacement fetch (tests, proxies)
  id?: string; // cache key; default 'url:' + the resolved base URL
  repo?: string; // Hub repo id, named in error messages
  revision?: string; // Hub revision, named in error messages
  listingUrl?: string; // Hub API URL answering {siblings: [{rfilename}]}; enables listFiles()
  readAttempts?: number; // tries per range read when the network fails; default 3
  retryDelayMs?: number; // pause before the second try, doubled after each; default 250
  /** Small requests (HEAD, the first 64 KiB, listings) must finish within this; reads of n bytes
   *  get n / 64 KiB/s on top. Downloads (stream()) use their own stall watchdog instead. Default 30 s. */
  requestTimeoutMs?: number;
}

/** The slowest transfer rate a timed request is granted before it counts as stalled. */
const MIN_BYTES_PER_SEC = 64 * 1024;
/** Size assumed for the timeout of a body of unknown length: tokenizer.json files reach ~20 MB. */
const TEXT_TIMEOUT_BYTES = 32 * 2 ** 20;

/** First bytes fetched by open(): holds config files and most safetensors headers in one request. */
const PROBE_BYTES = 64 * 1024;

interface ContentRange {
  start: number;
  end: number; // inclusive
  total?: number; // undefined for 'bytes a-b/*'
}

export function parseContentRange(value: string | null): ContentRange | null {
  const m = value?.match(/^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i);
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Unsatisfiable ranges answer 'bytes * /total' (without the space). */
function unsatisfiedRangeTotal(value: string | null): number | undefined {
  const m = value?.match(/^\s*bytes\s+\*\/(\d+)\s*$/i);
  return m ? Number(m[1]) : undefined;
}

/** Content-Length of the bytes the body will yield; undefined when compressed in transit (it then counts encoded bytes). */
export function bodyLengthOf(res: Response): number | undefined {
  const encoding = res.headers.get('content-encoding');
  if (encoding && encoding.toLowerCase() !== 'identity') return undefined;
  const value = res.headers.get('content-length');
  return value !== null && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

function describeCause(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const detail = err?.cause?.code ?? err?.cause?.message;
  return `${err?.message ?? String(e)}${detail ? `: ${detail}` : ''}`;
}

function resolveBase(baseUrl: string): string {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(baseUrl, page);
  } catch {
    throw new ModelSourceError('invalid', `"${baseUrl}" is not a valid URL${page ? '' : ' (outside a page, give an absolute http(s) URL)'}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ModelSourceError('invalid', `"${baseUrl}" is not an http(s) URL.`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

export class UrlModelSource implements ModelSource {
  readonly id: string;
  readonly baseUrl: string; // absolute, ends with '/'
  readonly repo?: string;
  readonly revision?: string;
  readonly listFiles?: () => Promise<string[]>;
  private readonly token?: string;
  private readonly fetchFn: typeof fetch;
  readonly readAttempts: number;
  readonly retryDelayMs: number;
  readonly requestTimeoutMs: number;

  /** `baseUrl` may be relative to the page (the embedded model); in a worker or Node give it absolute. */
  constructor(baseUrl: string, options: UrlModelSourceOptions = {}) {
    this.baseUrl = resolveBase(baseUrl);
    this.id = options.id ?? `url:${this.baseUrl}`;
    this.repo = options.repo;
    this.revision = options.revision;
    this.token = options.token || undefined;
    // Called as a plain function: browsers reject fetch invoked with another `this`.
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.readAttempts = Math.max(1, options.readAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    const listingUrl = options.listingUrl;
    if (listingUrl) this.listFiles = () => this.listFromHubApi(listingUrl);
  }

  urlOf(name: string): string {
    checkFileName(name);
    return new URL(name.split('/').map(encodeURIComponent).join('/'), this.baseUrl).href;
  }

  /** Time allowed for a request that reads `bytes` bytes. */
  private timeoutFor(bytes: number): number {
    return Math.round(this.requestTimeoutMs + (bytes / MIN_BYTES_PER_SEC) * 1000);
  }

  private timedOut(file: string, url: string, e: unknown): ModelSourceError {
    return new ModelSourceError('network', `${new URL(url).host} did not deliver ${file} in time; the connection is too slow or stalled.`, { file, url, retryable: true }, e);
  }

  private where(): string {
    return this.repo ? `${this.repo} at revision "${this.revision ?? 'main'}"` : this.baseUrl;
  }

  /** One HTTP request; maps failures to ModelSourceError. Statuses in `accept` come back as responses. */
  private async request(
    url: string,
    label: string,
    init: { method?: 'GET' | 'HEAD'; range?: string; signal?: AbortSignal; accept?: number[]; timeoutMs?: number } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (init.range) headers.Range = init.range;
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    // The timeout signal also ends reading the body (readBody maps its TimeoutError).
    const timeout = init.signal === undefined ? AbortSignal.timeout(init.timeoutMs ?? this.requestTimeoutMs) : undefined;
    let res: Response;
    try {
      res = await this.fetchFn(url, { method: init.method ?? 'GET', headers, signal: init.signal ?? timeout });
    } catch (e) {
      if (timeout?.aborted) throw this.timedOut(label, url, e);
      if (init.signal?.aborted) throw abortError(init.signal);
      if (isAbortError(e)) throw e;
      throw new ModelSourceError(
        'network',
        `Could not reach ${new URL(url).host} to fetch ${label} (${describeCause(e)}). Check the network connection; models already in the cache still work offline.`,
        { file: label, url, retryable: true },
        e,
      );
    }
    if (res.ok || init.accept?.includes(res.status)) return res;
    await res.body?.cancel().catch(() => {});
    throw this.httpError(label, url, res);
  }

  private httpError(file: string, url: string, res: Response): ModelSourceError {
    const { status } = res;
    const code = res.headers.get('x-error-code'); // the Hub's reason: GatedRepo, RepoNotFound, EntryNotFound …
    const because = code ? `, ${code}` : '';
    if (status === 401 || status === 403) {
      const tokenNote = this.token ? ' (the token given was refused, or it has no access to this repo)' : '';
      return new ModelSourceError(
        'unauthorized',
        `${file} from ${this.where()}: HTTP ${status}${because}. The repo is gated or private: accept the licence on the Hub and give an access token${tokenNote}.`,
        { file, status, url },
      );
    }
    if (status === 404) {
      const message = this.repo
        ? `${file} was not found in ${this.repo} at revision "${this.revision ?? 'main'}" (HTTP 404${because}, ${url}); check the repo id, the revision and the file name.`
        : `${file} was not found at ${url} (HTTP 404).`;
      return new ModelSourceError('not-found', message, { file, status, url });
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    return new ModelSourceError(
      'http',
      `${file} from ${this.where()}: HTTP ${status} ${res.statusText}${because}${retryable ? ' (the server is busy or failing; try again later)' : ''}.`,
      { file, status, url, retryable },
    );
  }

  /** Reads a whole body, checking it against the length the server announced. */
  private async readBody(res: Response, file: string, url: string, expected: number | undefined): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      if ((e as { name?: string } | null)?.name === 'TimeoutError') throw this.timedOut(file, url, e);
      if (isAbortError(e)) throw e;
      throw new ModelSourceError('network', `The connection broke while reading ${file} from ${new URL(url).host} (${describeCause(e)}).`, { file, url, retryable: true }, e);
    }
    if (expected !== undefined && bytes.byteLength !== expected) {
      throw new ModelSourceError('integrity', `${file}: received ${bytes.byteLength} bytes, the server announced ${expected} (connection cut?).`, { file, url, retryable: true });
    }
    return bytes;
  }

  async stat(name: string): Promise<FileStat | null> {
    const url = this.urlOf(name);
    let res = await this.request(url, name, { method: 'HEAD', accept: [404, 405, 501] });
    if (res.status === 405 || res.status === 501) {
      // No HEAD: a one-byte range tells the size (416 for an empty file).
      res = await this.request(url, name, { range: 'bytes=0-0', accept: [404, 416] });
      await res.body?.cancel().catch(() => {});
      const size = res.status === 416
        ? unsatisfiedRangeTotal(res.headers.get('content-range')) ?? 0
        : res.status === 206 ? parseContentRange(res.headers.get('content-range'))?.total : bodyLengthOf(res);
      if (res.status !== 404) return { size, etag: res.headers.get('etag') ?? undefined };
    }
    if (res.status === 404) {
      const code = res.headers.get('x-error-code');
      // A missing repo or revision is not a missing optional file: say so instead of answering false.
      if (code === 'RepoNotFound' || code === 'RevisionNotFound') throw this.httpError(name, url, res);
      return null;
    }
    return { size: bodyLengthOf(res), etag: res.headers.get('etag') ?? undefined };
  }

  async has(name: string): Promise<boolean> {
    return (await this.stat(name)) !== null;
  }

  async open(name: string): Promise<ByteSource> {
    const url = this.urlOf(name);
    const res = await this.request(url, name, { range: `bytes=0-${PROBE_BYTES - 1}`, accept: [416], timeoutMs: this.timeoutFor(PROBE_BYTES) });
    if (res.status === 416) {
      await res.body?.cancel().catch(() => {});
      const total = unsatisfiedRangeTotal(res.headers.get('content-range'));
      if (total === 0 || total === undefined) return bufferSource(new Uint8Array(0), name);
      throw new ModelSourceError('http', `${name}: the server refused the range 0-${PROBE_BYTES - 1} of a ${total}-byte file.`, { file: name, url });
    }
    if (res.status !== 206) {
      // The server ignores Range: the only way to random access is to hold the whole file. Ask
      // again with time for the whole body (the probe's timeout allowed 64 KiB).
      const length = bodyLengthOf(res);
      await res.body?.cancel().catch(() => {});
      const whole = await this.request(url, name, { timeoutMs: this.timeoutFor(length ?? TEXT_TIMEOUT_BYTES) });
      return bufferSource(await this.readBody(whole, name, url, bodyLengthOf(whole)), name);
    }
    const range = parseContentRange(res.headers.get('content-range'));
    const head = await this.readBody(res, name, url, bodyLengthOf(res));
    // Content-Range is hidden from cross-origin pages that do not expose it; ask HEAD for the size then.
    const size = range?.total ?? (await this.stat(name))?.size;
    if (size === undefined) {
      throw new ModelSourceError('http', `${name}: the server answered a range request without telling the file size (no readable Content-Range or Content-Length).`, { file: name, url });
    }
    if ((range && range.start !== 0) || head.byteLength !== Math.min(PROBE_BYTES, size)) {
      throw new ModelSourceError('integrity', `${name}: asked for bytes 0-${PROBE_BYTES - 1} of ${size}, got ${head.byteLength} bytes${range ? ` at ${range.start}` : ''}.`, { file: name, url, retryable: true });
    }
    return new RangeByteSource(name, url, size, head, (offset, length) => this.readRange(name, url, offset, length));
  }

  /** Bytes [offset, offset + length) by a Range request, retried on network failures. */
  private async readRange(name: string, url: string, offset: number, length: number): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.request(url, name, { range: `bytes=${offset}-${offset + length - 1}`, timeoutMs: this.timeoutFor(length) });
        if (res.status !== 206) {
          await res.body?.cancel().catch(() => {});
          throw new ModelSourceError('http', `${name}: the server answered a range request with HTTP ${res.status} instead of 206; it no longer serves ranges.`, { file: name, url, status: res.status });
        }
        const range = parseContentRange(res.headers.get('content-range'));
        if (range && range.start !== offset) {
          await res.body?.cancel().catch(() => {});
          throw new ModelSourceError('integrity', `${name}: asked for bytes from ${offset}, the server sent them from ${range.start}.`, { file: name, url });
        }
        return await this.readBody(res, name, url, length);
      } catch (e) {
        const retryable = e instanceof ModelSourceError && e.retryable;
        if (!retryable || attempt >= this.readAttempts) throw e;
        await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async text(name: string): Promise<string> {
    const url = this.urlOf(name);
    const res = await this.request(url, name, { timeoutMs: this.timeoutFor(TEXT_TIMEOUT_BYTES) });
    return new TextDecoder().decode(await this.readBody(res, name, url, bodyLengthOf(res)));
  }

  async json<T = unknown>(name: string): Promise<T> {
    return parseJsonFile<T>(await this.text(name), name, this.where());
  }

  async stream(name: string, options: { offset: number; signal?: AbortSignal }): Promise<StreamedFile> {
    const { offset, signal } = options;
    const url = this.urlOf(name);
    // Never the small-request timeout here: a body of gigabytes takes as long as it takes; the
    // caller bounds it (download.ts aborts a stalled transfer through `signal`).
    const res = await this.request(url, name, { range: offset > 0 ? `bytes=${offset}-` : undefined, signal: signal ?? new AbortController().signal, accept: [416] });
    if (res.status === 416) {
      await res.body?.cancel().catch(() => {});
      const total = unsatisfiedRangeTotal(res.headers.get('content-range'));
      throw new ModelSourceError('integrity', `${name}: cannot resume at byte ${offset}, the file on the server has ${total ?? 'fewer'} bytes (it changed?).`, { file: name, url, retryable: true });
    }
    if (!res.body) throw new ModelSourceError('http', `${name}: the response has no body.`, { file: name, url });
    const etag = res.headers.get('etag') ?? undefined;
    const bodyLength = bodyLengthOf(res);
    if (res.status !== 206) return { body: res.body, start: 0, size: bodyLength, bodyLength, etag };
    const range = parseContentRange(res.headers.get('content-range'));
    const start = range?.start ?? offset;
    const size = range?.total ?? (bodyLength !== undefined ? start + bodyLength : undefined);
    return { body: res.body, start, size, bodyLength, etag };
  }

  private async listFromHubApi(listingUrl: string): Promise<string[]> {
    const res = await this.request(listingUrl, 'the file list');
    const info = parseJsonFile<{ siblings?: { rfilename?: unknown }[] }>(
      new TextDecoder().decode(await this.readBody(res, 'the file list', listingUrl, bodyLengthOf(res))),
      'the file list',
      this.where(),
    );
    if (!Array.isArray(info.siblings)) {
      throw new ModelSourceError('integrity', `The Hub API answer for ${this.where()} has no "siblings" list.`, { url: listingUrl });
    }
    return info.siblings.map((s) => s.rfilename).filter((n): n is string => typeof n === 'string');
  }
}

/** Random access over Range requests; the first bytes (fetched by open()) are served from memory. */
class RangeByteSource implements ByteSource {
  constructor(
    readonly name: string,
    readonly url: string,
    readonly size: number,
    private readonly head: Uint8Array,
    private readonly fetchRange: (offset: number, length: number) => Promise<Uint8Array>,
  ) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (offset + length <= this.head.byteLength) return this.head.subarray(offset, offset + length);
    return this.fetchRange(offset, length);
  }
}

export interface HubSourceOptions {
  endpoint?: string; // default https://huggingface.co; a mirror, or a local server in tests
  fetch?: typeof fetch;
}

/** A Hub repo at a revision (branch, tag or commit). `token` is needed for gated or private repos. */
export function hubModelSource(repo: string, revision = 'main', token?: string, options: HubSourceOptions = {}): UrlModelSource {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo) || repo.includes('..')) {
    throw new ModelSourceError('invalid', `"${repo}" is not a Hub repo id (expected owner/name, e.g. HuggingFaceTB/SmolLM2-135M-Instruct).`);
  }
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const rev = encodeURIComponent(revision);
  return new UrlModelSource(`${endpoint}/${repo}/resolve/${rev}/`, {
    token,
    fetch: options.fetch,
    id: `hf:${repo}@${revision}`,
    repo,
    revision,
    listingUrl: `${endpoint}/api/models/${repo}/revision/${rev}`,
  });
}

/**
 * The demo model shipped under `public/{folder}` and served by Vite next to the app. Resolved from
 * the site's base URL, not from `location.href`, so it is right in a worker too (whose own URL
 * lies under /assets/). In Node, open `public/{folder}` with NodeFolderModelSource instead.
 */
export function embeddedModelSource(folder: string, options: UrlModelSourceOptions = {}): UrlModelSource {
  const location = (globalThis as { location?: { origin?: string; href?: string } }).location;
  if (!location?.origin || !location.href) {
    throw new ModelSourceError('invalid', `The embedded model is served to the page over HTTP; outside a browser open public/${folder} with NodeFolderModelSource.`);
  }
  const siteBase = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  // An absolute base ('/studio/') is relative to the origin; a relative one ('./') only makes sense from the page.
  const base = new URL(siteBase, siteBase.startsWith('/') ? location.origin : location.href);
  const folderPath = folder.replace(/^\/+/, '').replace(/\/*$/, '/');
  return new UrlModelSource(new URL(folderPath, base).href, { id: `embedded:${folderPath.slice(0, -1)}`, ...options });
}
