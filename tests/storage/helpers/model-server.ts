// A local HTTP server on 127.0.0.1 that serves fake model folders the way the Hub does:
// `/{owner}/{name}/resolve/{revision}/{file}`, plus `/api/models/{owner}/{name}/revision/{rev}`.
// It honours single Range requests and can misbehave on demand: cut the connection midway, send a
// short body without Content-Length, announce more bytes than it sends, stall, fail with a status,
// ignore Range, require a token. Every request is logged so tests can see what the client asked.
// With `hub: true` it also answers as huggingface.co does for a browser: CORS headers (and
// preflights), and the Hub's redirects: a regular file's resolve URL answers 307 with a relative
// Location under /api/resolve-cache/, a large (LFS) file's answers 302 with an absolute Location on
// its CDN (a path of this server here; the Hub's own CDNs are hosts under hf.co).

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { kind: 'cut'; afterBytes: number } // true Content-Length, then the socket is destroyed
  | { kind: 'short-clean'; afterBytes: number } // no Content-Length, the body ends cleanly but early
  | { kind: 'overlong-length'; extraBytes: number } // announces more bytes than the file has, sends the file, closes
  | { kind: 'stall'; afterBytes: number } // sends some bytes, then nothing, connection left open
  | { kind: 'status'; status: number } // answers with this status
  | { kind: 'ok' }; // behaves: lets a later request in the queue be the faulty one

export interface ServerOptions {
  token?: string; // require `Authorization: Bearer token`: 401 without one, 403 with another
  ranges?: boolean; // honour Range; default true
  etags?: boolean; // send ETag; default true
  chunkBytes?: number; // body written in pieces of this size; default 16 KiB
  chunkDelayMs?: number; // pause between pieces; default 0
  hub?: boolean; // CORS and the Hub's redirects (above); default false
}

/** Files the Hub keeps in LFS (served from its CDN through a redirect). */
const LFS = /\.(safetensors|bin|onnx|gguf|pt)$/;
const EXPOSED = ['ETag', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'X-Error-Code', 'X-Repo-Commit', 'X-Linked-Size', 'X-Linked-ETag'].join(',');

export interface LoggedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export class ModelServer {
  readonly requests: LoggedRequest[] = [];
  /** Faults per URL path, consumed one per GET of that path. */
  readonly faults = new Map<string, Fault[]>();
  options: ServerOptions;
  private server: Server | null = null;
  private files = new Map<string, Uint8Array>(); // URL path → bytes
  private redirects = new Map<string, { status: 302 | 307; target: string; commit: string }>(); // hub: resolve path → where it sends the client
  private targets = new Map<string, string>(); // hub: redirect target path → resolve path of its file
  private port = 0;

  constructor(options: ServerOptions = {}) {
    this.options = options;
  }

  /** Serves `files` as Hub repo `repo` at `revision`; returns the resolve base URL. */
  addRepo(repo: string, files: Map<string, Uint8Array>, revision = 'main'): void {
    const commit = createHash('sha1').update(`${repo}@${revision}`).digest('hex');
    for (const [name, bytes] of files) {
      const resolve = `/${repo}/resolve/${revision}/${name}`;
      this.files.set(resolve, bytes);
      const target = LFS.test(name) ? `/cdn-lfs/${createHash('sha256').update(bytes).digest('hex')}/${name}` : `/api/resolve-cache/models/${repo}/${commit}/${name}`;
      this.redirects.set(resolve, { status: LFS.test(name) ? 302 : 307, target, commit });
      this.targets.set(target, resolve);
    }
    const siblings = [...files.keys()].map((rfilename) => ({ rfilename }));
    this.files.set(`/api/models/${repo}/revision/${revision}`, new TextEncoder().encode(JSON.stringify({ id: repo, siblings })));
  }

  /** Queue faults for the next GETs of `file` in `repo`. */
  addFaults(repo: string, file: string, faults: Fault[], revision = 'main'): void {
    this.faults.set(`/${repo}/resolve/${revision}/${file}`, [...faults]);
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  gets(file: string): LoggedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let path = decodeURI(new URL(req.url ?? '/', 'http://x').pathname);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, range: req.headers.range, authorization: req.headers.authorization });
    const { token, ranges = true, etags = true, hub = false } = this.options;
    if (hub) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
      if (method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Authorization, Range', 'Access-Control-Max-Age': '86400' });
        return void res.end();
      }
      const redirect = this.redirects.get(path);
      if (redirect) {
        const bytes = this.files.get(path)!;
        const lfs = redirect.status === 302; // absolute, to the CDN, with the file's size and hash
        const linked = lfs ? { 'X-Linked-Size': bytes.length, 'X-Linked-ETag': `"${createHash('sha256').update(bytes).digest('hex')}"` } : {};
        res.writeHead(redirect.status, { Location: lfs ? `${this.origin}${redirect.target}` : redirect.target, 'X-Repo-Commit': redirect.commit, ...linked });
        return void res.end();
      }
      path = this.targets.get(path) ?? path; // a redirect's target serves its file (and the file's faults)
    }
    if (token !== undefined) {
      const auth = req.headers.authorization;
      if (!auth) return this.fail(res, 401, 'GatedRepo');
      if (auth !== `Bearer ${token}`) return this.fail(res, 403, 'GatedRepo');
    }
    const bytes = this.files.get(path);
    if (!bytes) {
      const hub = path.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\//);
      const repoKnown = hub && [...this.files.keys()].some((k) => k.startsWith(`/${hub[1]}/resolve/`));
      const revisionKnown = hub && [...this.files.keys()].some((k) => k.startsWith(`/${hub[1]}/resolve/${hub[2]}/`));
      return this.fail(res, 404, !repoKnown ? 'RepoNotFound' : !revisionKnown ? 'RevisionNotFound' : 'EntryNotFound');
    }
    const headers: Record<string, string | number> = { 'Accept-Ranges': ranges ? 'bytes' : 'none' };
    if (etags) headers.ETag = `"${createHash('sha1').update(bytes).digest('hex').slice(0, 16)}"`;
    if (method === 'HEAD') {
      res.writeHead(200, { ...headers, 'Content-Length': bytes.length });
      return void res.end();
    }
    const fault = this.faults.get(path)?.shift();
    if (fault?.kind === 'status') return this.fail(res, fault.status, 'Injected');

    let start = 0;
    let end = bytes.length - 1;
    let status = 200;
    const range = req.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    if (ranges && range) {
      start = Number(range[1]);
      end = range[2] === '' ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
      if (start >= bytes.length || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` });
        return void res.end();
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`;
    }
    const body = bytes.subarray(start, end + 1);
    if (fault?.kind === 'short-clean') {
      res.writeHead(status, headers); // chunked: nothing says how long the body should be
      await this.send(res, body.subarray(0, fault.afterBytes));
      return void res.end();
    }
    const announced = fault?.kind === 'overlong-length' ? body.length + fault.extraBytes : body.length;
    res.writeHead(status, { ...headers, 'Content-Length': announced });
    if (fault?.kind === 'cut' || fault?.kind === 'stall') {
      await this.send(res, body.subarray(0, fault.afterBytes));
      if (fault.kind === 'cut') res.destroy();
      return; // a stalled response stays open until stop()
    }
    await this.send(res, body);
    if (fault?.kind === 'overlong-length') res.destroy();
    else res.end();
  }

  private async send(res: ServerResponse, body: Uint8Array): Promise<void> {
    const { chunkBytes = 16 * 1024, chunkDelayMs = 0 } = this.options;
    for (let at = 0; at < body.length && !res.destroyed; at += chunkBytes) {
      await new Promise<void>((resolve) => res.write(body.subarray(at, at + chunkBytes), () => resolve()));
      if (chunkDelayMs > 0) await new Promise((r) => setTimeout(r, chunkDelayMs));
    }
  }

  private fail(res: ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'X-Error-Code': code, 'Content-Type': 'text/plain' });
    res.end(`${status} ${code}`);
  }
}
