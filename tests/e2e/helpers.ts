// What the app's end-to-end tests share: the built app served with a browser beside it, a model
// folder copied under another name, a page opened with its errors and its Content-Security-Policy
// refusals recorded, the step tabs, and a listing of the page's origin-private file system.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, serveBuiltApp, type AppServer, type ServeOptions } from '../../src/cli/chromium';

/** Copies a model folder to `to` with `_name_or_path` set to `name` in its config.json. */
export function copyModelAs(from: string, to: string, name: string): void {
  cpSync(from, to, { recursive: true });
  const config = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8'));
  writeFileSync(join(to, 'config.json'), JSON.stringify({ ...config, _name_or_path: name }));
}

export interface OpenPage {
  page: Page;
  errors: string[]; // uncaught page errors
  blocked: string[]; // what the page's Content-Security-Policy refused
  requests: string[]; // every request of the page and its workers
}

/** A fresh browser context on `url`, recording what OpenPage lists. */
export async function openPage(browser: Browser, url: string, width = 1280): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const errors: string[] = [];
  const blocked: string[] = [];
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/.test(m.text())) blocked.push(m.text());
  });
  await page.goto(url);
  return { page, errors, blocked, requests };
}

/** The tab of one of the five steps. */
export const tab = (page: Page, name: string) => page.getByRole('tab', { name: new RegExp(`${name}$`) });

/** Waits until the Model step's status has settled (ready, failed or missing). */
export const modelSettled = (page: Page, timeout = 120_000) =>
  page.waitForFunction(() => ['ready', 'failed', 'missing'].includes(document.querySelector('[data-testid="model-status"]')?.getAttribute('data-state') ?? ''), null, { timeout });

/** The entries of a folder of the page's origin-private file system. */
export const opfsNames = (page: Page, ...path: string[]) =>
  page.evaluate(async (folders) => {
    let dir = await navigator.storage.getDirectory();
    for (const f of folders) dir = await dir.getDirectoryHandle(f);
    const names: string[] = [];
    for await (const name of (dir as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  }, path);

/** The built app served from a temporary folder, and a headless Chromium; set once the suite's beforeAll ran. */
export interface BuiltApp {
  readonly outDir: string;
  readonly server: AppServer;
  readonly browser: Browser;
}

/**
 * Registers the suite's beforeAll and afterAll: build the app (or the test pages of `options`) into
 * a temporary folder, serve it, run `prepare` on the folder, start Chromium; afterwards close both
 * and remove the folder.
 */
export function useBuiltApp(prefix: string, options: ServeOptions = {}, prepare: (outDir: string) => void | Promise<void> = () => {}): BuiltApp {
  const outDir = mkdtempSync(join(tmpdir(), prefix));
  let server: AppServer | null = null;
  let browser: Browser | null = null;
  beforeAll(async () => {
    server = await serveBuiltApp(outDir, options);
    await prepare(outDir);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });
  return {
    outDir,
    get server() {
      if (!server) throw new Error('the app is served once beforeAll has run');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('Chromium runs once beforeAll has run');
      return browser;
    },
  };
}
