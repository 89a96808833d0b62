// The built app in headless Chromium (SwiftShader WebGPU): the page finds the adapter through its
// worker and every kernel matches its CPU reference there, so the browser path is proven.

import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBuiltApp } from './helpers';

describe('app in headless Chromium', () => {
  // A tiny model in HF layout, served next to the app like the embedded demo model.
  const app = useBuiltApp('grsap-e2e-', {}, (outDir) => cpSync(join(import.meta.dirname, '..', 'fixtures', 'tiny-model'), join(outDir, 'test-model'), { recursive: true }));

  it('shows the WebGPU adapter and passes the kernel self-check in the worker', async () => {
    const page = await app.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.server.url);
    await page.getByText('GPU and kernel self-check').click(); // open the details
    const table = page.getByTestId('device-table');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.textContent()).toMatch(/max storage binding/);
    await page.getByRole('button', { name: 'Run kernel self-check' }).click();
    const summary = page.getByTestId('selfcheck-summary');
    await page.waitForFunction(() => document.querySelector('[data-testid="selfcheck-summary"]')?.getAttribute('data-state'), null, { timeout: 150_000 });
    const text = await summary.textContent();
    const failures = await page.locator('tr.bad').allTextContents();
    expect(failures, `self-check failures: ${failures.join('; ')}`).toEqual([]);
    expect(text).toMatch(/^All \d+ kernels match their CPU references$/);
    expect(errors).toEqual([]);
  }, 240_000);

  it('loads a model over HTTP in the worker and chats with it', async () => {
    const page = await app.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(app.server.url);
    const status = page.getByTestId('model-status');
    // The page first loads the embedded model (or says it is missing from the build).
    await page.waitForFunction(() => ['ready', 'missing'].includes(document.querySelector('[data-testid="model-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: 120_000 });
    await page.locator('summary', { hasText: 'Load another model' }).click(); // open the details
    await page.getByLabel('Model source').selectOption('url');
    await page.getByLabel('Model URL', { exact: true }).fill('/test-model/');
    await page.getByTestId('load-model').click();
    await page.waitForFunction(() => ['ready', 'failed'].includes(document.querySelector('[data-testid="model-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: 120_000 });
    expect(await status.textContent()).toMatch(/^Loaded url:/);
    await page.getByLabel('Message').fill('hello there');
    await page.getByTestId('send').click();
    const reply = page.getByTestId('assistant-reply');
    await reply.waitFor({ timeout: 120_000 });
    expect(await reply.textContent()).toMatch(/\(\d+ tokens, [\d.]+ s, (eos|length)\)$/);
    expect(errors).toEqual([]);
  }, 240_000);
});
