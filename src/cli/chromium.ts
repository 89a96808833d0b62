// Headless Chromium with the SwiftShader WebGPU adapter, driven by playwright-core, and a Vite
// server for the app or its built output. Used by the end-to-end tests and the browser benchmarks.

import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createServer, preview, build, type PreviewServer, type ViteDevServer } from 'vite';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => p && existsSync(p));
  if (!found) {
    throw new Error('No Chromium found. Install Debian\'s `chromium` (apt-get install chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary.');
  }
  return found;
}

/** Flags for WebGPU on SwiftShader in a sandbox-less, offline, headless Chromium. */
export const WEBGPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: WEBGPU_FLAGS });
}

export interface AppServer {
  url: string; // e.g. http://127.0.0.1:41234/
  close(): Promise<void>;
}

function urlOf(server: { httpServer: { address(): AddressInfo | string | null } | null }): string {
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite server has no TCP address.');
  return `http://127.0.0.1:${address.port}/`;
}

export interface ServeOptions {
  input?: Record<string, string>; // other HTML entry points to build instead of the app (test pages)
  headers?: Record<string, string>; // response headers, e.g. cross-origin isolation
  subPath?: string; // serve the build under this path, e.g. '/studio/', as a static host publishing it in a folder would
}

/** Build the app (or the given pages) into `outDir` and serve it with `vite preview` on a free loopback port; `url` is the app's (the sub-path's) URL. */
export async function serveBuiltApp(outDir: string, options: ServeOptions = {}): Promise<AppServer> {
  const input = options.input ? { rollupOptions: { input: options.input } } : {};
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, ...input } });
  // The build's asset paths are relative; only the server is told where it is published.
  const base = options.subPath ?? '/';
  const server: PreviewServer = await preview({ logLevel: 'warn', base, build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: false, headers: options.headers } });
  return { url: new URL(base, urlOf(server)).href, close: () => server.close() };
}

/** Serve the sources with the Vite dev server (no build step) on a free loopback port. */
export async function serveDevApp(): Promise<AppServer> {
  const server: ViteDevServer = await createServer({ logLevel: 'warn', server: { host: '127.0.0.1', port: 0 } });
  await server.listen();
  return { url: urlOf(server), close: () => server.close() };
}
