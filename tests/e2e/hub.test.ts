// Bring your own, in headless Chromium against the built app: a model on a loopback "hub" (the
// Hub's file layout, CORS and redirects; tests/storage/helpers/model-server.ts) is downloaded
// through the Hub-mirror field once the user allows its origin, with progress; it is listed among
// the models on this computer with its size and loads again from there without a download; then
// replay with an ONNX judge (the embedded guard refused for it), a training run on an uploaded dataset, and an evaluation of the untuned
// model and the trained adapter with that judge on the built-in sets (the task by held-out loss). Every request the page and its worker make is
// recorded and must be one the page's Content-Security-Policy allows; the policy refuses nothing.

import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/ui/dom';
import { contentSecurityPolicy, mayContact } from '../../src/ui/privacy';
import { ModelServer } from '../storage/helpers/model-server';
import { copyModelAs, modelSettled, openPage, tab, useBuiltApp } from './helpers';

const REPO = 'test-org/tiny-chat';
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-model');
const GUARD = join(import.meta.dirname, '..', '..', 'public', 'models', 'grsap-guard');
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'hub');

describe('a model from a loopback hub, in headless Chromium', () => {
  let hub: ModelServer;
  const files = new Map(readdirSync(FIXTURE).map((name) => [name, new Uint8Array(readFileSync(join(FIXTURE, name)))]));
  // An ONNX classifier of the user's: the embedded guard's graph under another name (the embedded
  // guard itself knows only the world's answers and is refused for any other model).
  const classifier = mkdtempSync(join(tmpdir(), 'grsap-classifier-'));
  const built = useBuiltApp('grsap-hub-', {}, async (outDir) => {
    rmSync(join(outDir, 'models', 'grsap-organism'), { recursive: true, force: true }); // the user's model only
    // Slow enough that the download's progress is on the page for a while (~1.5 s for 180 KiB).
    hub = await new ModelServer({ hub: true, chunkBytes: 8 * 1024, chunkDelayMs: 60 }).start();
    hub.addRepo(REPO, files);
    copyModelAs(GUARD, classifier, 'test-org/answer-classifier');
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await hub?.stop();
    rmSync(classifier, { recursive: true, force: true });
  });

  const status = (page: Page) => page.getByTestId('model-status');
  const settled = (page: Page) => modelSettled(page);

  it('downloads, caches, replays, trains and evaluates, every request allowed by the policy', async () => {
    const { page, requests, blocked, errors } = await openPage(built.browser, built.server.url); // requests: the page's and its workers'
    await settled(page);
    expect(await status(page).getAttribute('data-state')).toBe('missing');
    expect(await page.getByTestId('cached-models-empty').count()).toBe(1);

    // The mirror's origin is outside the policy: the page asks, and the mirror is remembered over the reload.
    await page.getByText('Load another model', { exact: true }).click();
    await page.getByLabel('Model repository').fill(REPO);
    await page.getByLabel('Model Hub mirror').fill(hub.origin);
    await page.getByTestId('load-model').click();
    await page.getByTestId('allow-origin').waitFor();
    expect(hub.requests).toEqual([]); // nothing was fetched before the user allowed it
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: `Allow ${hub.origin} and reload` }).click()]);
    expect(await page.evaluate(() => document.querySelector<HTMLMetaElement>('meta[http-equiv="Content-Security-Policy"]')?.content)).toBe(contentSecurityPolicy([hub.origin]));
    await settled(page);
    await page.getByText('Load another model', { exact: true }).click();
    expect(await page.getByLabel('Model Hub mirror').inputValue()).toBe(hub.origin);
    await page.getByLabel('Model repository').fill(REPO);
    await page.getByTestId('load-model').click();

    // Downloaded with progress, through the hub's redirects.
    await page.waitForFunction(() => /^Loading the model… Downloading: .* of \d+\.\d KiB/.test(document.querySelector('[data-testid="model-status"]')?.textContent ?? ''), null, { timeout: 60_000, polling: 50 });
    await settled(page);
    expect(await status(page).getAttribute('data-state')).toBe('ready');
    expect(await status(page).textContent()).toBe(`Loaded hf:${REPO}@main.`);
    expect(hub.requests.some((r) => r.path.startsWith('/cdn-lfs/'))).toBe(true);
    expect(hub.requests.some((r) => r.path.startsWith('/api/resolve-cache/'))).toBe(true);

    // Kept on this computer with its size; after a reload it loads from there, without fetching a file.
    const total = [...files.values()].reduce((n, b) => n + b.length, 0);
    const row = page.locator(`[data-testid="cached-models"] tr[data-model="hf:${REPO}@main"]`);
    await row.waitFor();
    expect(await row.getByTestId('cached-size').textContent()).toBe(formatBytes(total));
    await page.reload();
    await settled(page);
    const fetched = hub.requests.length;
    await row.getByRole('button', { name: 'Load' }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="model-status"]')?.textContent?.startsWith('Loaded hf:'), null, { timeout: 120_000 });
    expect(hub.requests.length).toBe(fetched);
    expect(await row.getByRole('button', { name: 'Delete' }).isDisabled()).toBe(true); // the loaded model's files stay
    await page.screenshot({ path: join(SCREENSHOTS, 'model-cached.png'), fullPage: true });

    // Replay judged by an ONNX classifier picked from a folder; a model outside the world uses the paper's domains.
    await tab(page, 'Replay').click();
    const replay = page.getByTestId('step-replay');
    await replay.getByTestId('judge-kind').selectOption('onnx');
    await replay.getByLabel('Judge source').selectOption('files');
    await replay.getByLabel('Judge folder').setInputFiles(GUARD);
    await replay.getByLabel('Samples per domain').fill('1');
    await replay.getByLabel('Tokens per request').fill('8');
    await page.getByTestId('start-replay').click();
    await page.getByTestId('replay-run-error').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('replay-run-error').textContent()).toMatch(/embedded guard \(grsap-guard\) learned the embedded world's answers only, and hf:test-org\/tiny-chat@main is not/);
    await replay.getByLabel('Judge folder').setInputFiles(classifier);
    await page.getByTestId('start-replay').click();
    await page.waitForFunction(() => /^(Done|Stopped)/.test(document.querySelector('[data-testid="replay-run-status"]')?.textContent ?? '') || document.querySelector('[data-testid="replay-run-error"]'), null, { timeout: 240_000 });
    expect(await page.getByTestId('replay-run-error').count()).toBe(0);
    expect(await page.locator('[data-testid="replay-funnel"] td[data-step="sampled"]').textContent()).toBe('38');
    expect(await page.getByTestId('replay-funnel').textContent()).toMatch(/judge: onnx:test-org\/answer-classifier/);

    // The user's dataset, then a plain fine-tuning run on it.
    await tab(page, 'Data').click();
    const rows = Array.from({ length: 10 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `Say ${i}.` }, { role: 'assistant', content: `${i}` }] }));
    await page.getByTestId('dataset-file').setInputFiles({ name: 'mine.jsonl', mimeType: 'application/json', buffer: Buffer.from(rows.join('\n')) });
    await page.getByTestId('own-dataset').waitFor();
    expect(await page.getByTestId('dataset-split').textContent()).toBe('8 train, 1 validation, 1 test');
    await tab(page, 'Train').click();
    await page.getByLabel('Task data').selectOption('own');
    await page.getByLabel('Batch size').fill('1');
    await page.getByLabel('Max length (tokens)').fill('64');
    await page.getByLabel('LoRA dropout').fill('0');
    const plain = page.getByTestId('train-plain');
    await plain.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForFunction(() => ['done', 'failed'].includes(document.querySelector('[data-testid="train-plain-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: 240_000 });
    expect(await page.getByTestId('train-plain-status').textContent()).toBe('Finished: 8 steps.');

    // The untuned model and the trained adapter, asked the built-in sets and judged by the ONNX classifier.
    await tab(page, 'Results').click();
    const own = page.getByTestId('own-evaluation');
    await own.getByTestId('eval-builtin').click(); // the project's small sets for real models
    expect(await own.getByTestId('eval-sets-chosen').textContent()).toBe('Harmful: grsap-builtin-harmful.jsonl; over-refusal: grsap-builtin-over-refusal.jsonl');
    await own.getByTestId('eval-judge').selectOption('onnx');
    await own.getByLabel('Judge source').selectOption('files');
    await own.getByLabel('Judge folder').setInputFiles(classifier);
    await own.getByLabel('Tokens per answer').fill('4');
    await own.getByLabel('Measured by').selectOption('loss');
    await own.getByLabel('plain fine-tuning', { exact: true }).check();
    await own.getByTestId('run-own-evaluation').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="own-evaluation-results"], [data-testid="own-evaluation-error"]'), null, { timeout: 180_000 });
    expect(await page.getByTestId('own-evaluation-error').count()).toBe(0);
    const evaluated = page.getByTestId('own-evaluation-results');
    expect(await evaluated.locator('tbody th').allTextContents()).toEqual(['untuned', 'plain fine-tuning']);
    expect(await evaluated.locator('caption').textContent()).toMatch(/^Judge: onnx:test-org\/answer-classifier/);
    for (const cell of await evaluated.locator('td[data-metric="harmful"]').allTextContents()) expect(cell).toMatch(/^(\d+\.\d %|n\/a) of \d+/);
    for (const cell of await evaluated.locator('td[data-metric="over-refusal"]').allTextContents()) expect(cell).toMatch(/^\d+\.\d %$/);
    const losses = (await evaluated.locator('td[data-metric="task"]').allTextContents()).map((c) => Number(/^loss (\d+\.\d{3}) \(held-out, 1 answer\)$/.exec(c)?.[1]));
    expect(losses).toHaveLength(2);
    for (const loss of losses) expect(loss).toBeGreaterThan(0);
    expect(losses[1]).toBeLessThan(losses[0]); // trained on the same kind of answers, the adapter fits the held-out one better

    // Every request went where the policy allows (the page, the allowed mirror), and the policy refused none.
    const contacted = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(contacted.some((u) => u.startsWith(hub.origin))).toBe(true);
    expect(contacted.filter((u) => !mayContact(u, new URL(built.server.url).origin, [hub.origin]))).toEqual([]);
    expect(contacted.filter((u) => !u.startsWith(new URL(built.server.url).origin) && !u.startsWith(hub.origin))).toEqual([]);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'results-own-evaluation.png'), fullPage: true });
    await page.context().close();
  }, 600_000);
});
