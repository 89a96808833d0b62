// The built app in headless Chromium (SwiftShader WebGPU): the page finds the adapter through its
// worker and every kernel matches its CPU reference there, so the browser path is proven.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, serveBuiltApp, type AppServer } from '../../src/cli/chromium';

describe('app in headless Chromium', () => {
  let server: AppServer;
  let browser: Browser;
  const outDir = mkdtempSync(join(tmpdir(), 'grsap-e2e-'));

  beforeAll(async () => {
    server = await serveBuiltApp(outDir);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('shows the WebGPU adapter and passes the kernel self-check in the worker', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const table = page.getByTestId('device-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.textContent()).toMatch(/max storage binding/);
    const summary = page.getByTestId('selfcheck-summary');
    await page.waitForFunction(() => document.querySelector('[data-testid="selfcheck-summary"]')?.getAttribute('data-state'), null, { timeout: 150_000 });
    const text = await summary.textContent();
    const failures = await page.locator('tr.bad').allTextContents();
    expect(failures, `self-check failures: ${failures.join('; ')}`).toEqual([]);
    expect(text).toMatch(/^All \d+ kernels match their CPU references$/);
    expect(errors).toEqual([]);
  }, 240_000);
});
