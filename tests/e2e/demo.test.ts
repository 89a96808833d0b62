// "Run the whole demo" on the embedded organism in headless Chromium (SwiftShader WebGPU), with the
// tests' toy preset (?preset=tiny: 10 chat examples, 3 steps an arm, 7 evaluation prompts) so it
// takes about a minute: the organism's own replay set is built, plain fine-tuning and GR-SAP are
// trained, and the Results step shows a harmful ratio, refusal rate, over-refusal and task accuracy
// for each arm. A reload in the middle continues the run; the figures, exports and adapters survive
// a reload; harmful answers stay hidden until revealed; no request leaves the local server.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelSettled, openPage, opfsNames, tab, useBuiltApp } from './helpers';

const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'demo');
const ARMS = ['untuned', 'plain fine-tuning', 'GR-SAP'];
const METRICS = ['harmful ratio', 'refusal rate', 'over-refusal', 'task accuracy'];

describe('the one-click demo on the embedded organism, in headless Chromium', () => {
  const app = useBuiltApp('grsap-demo-', { subPath: '/lecture/' }, () => void mkdirSync(SCREENSHOTS, { recursive: true }));

  it('builds the replay set, trains both arms, survives a reload mid-run, and reports every arm', async () => {
    const { page, errors, blocked, requests } = await openPage(app.browser, `${app.server.url}?preset=tiny#results`);
    await modelSettled(page);
    expect(await page.getByTestId('model-status').getAttribute('data-state')).toBe('ready');
    expect(await page.getByTestId('model-status').textContent()).toMatch(/^Loaded the embedded demo model, grsap-organism/);

    const run = page.getByTestId('run-demo');
    const finished = (n: string) => page.waitForFunction((re) => new RegExp(re).test(document.querySelector('[data-testid="run-results"] h3')?.textContent ?? ''), n, { timeout: 300_000 });
    expect(await run.textContent()).toBe('Run the whole demo');
    await run.click();
    // One unit done of three, then a reload: the run is kept and continues where it stopped.
    await finished(': [12] of 3 units finished');
    await page.reload();
    await modelSettled(page);
    await tab(page, 'Results').click();
    expect(await run.textContent()).toBe('Continue the demo');
    await run.click();
    await page.waitForFunction(() => ['done', 'failed', 'paused'].includes(document.querySelector('[data-testid="demo-status"]')?.getAttribute('data-state') ?? ''), null, { timeout: 300_000 });
    expect(await page.getByTestId('demo-error').count()).toBe(0);
    expect(await page.getByTestId('demo-status').getAttribute('data-state')).toBe('done');
    await finished(': 3 of 3 units finished');
    expect(await run.textContent()).toBe('Demo finished');

    // Each arm's four figures, as percentages.
    const bar = (metric: string, arm: string) => page.locator(`.bar-value[data-metric="${metric}"][data-arm="${arm}"]`).textContent();
    const figures: Record<string, string> = {};
    for (const metric of METRICS)
      for (const arm of ARMS) {
        figures[`${metric}/${arm}`] = (await bar(metric, arm)) ?? '';
        expect(figures[`${metric}/${arm}`], `${metric} of ${arm}`).toMatch(/^\d+\.\d %/);
      }

    // The report: three arms, the GR-SAP unit trained on the organism's own replay pairs.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    const report = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(report.results.arms.map((a: { arm: string }) => a.arm)).toEqual(['untuned', 'plain', 'grsap']);
    expect(report.units.map((u: { status: string }) => u.status)).toEqual(['done', 'done', 'done']);
    expect(report.replay).toHaveLength(1);
    expect(report.replay[0].pairs.length).toBeGreaterThan(0);
    for (const a of report.results.arms) expect(a.judge).toMatch(/^world-labeller/);
    const [csvFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(readFileSync((await csvFile.path())!, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1])).toEqual(['untuned', 'plain', 'grsap']);
    const [mdFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-md').click()]);
    expect(readFileSync((await mdFile.path())!, 'utf8')).toMatch(/\| chat \| GR-SAP \| 1 \|/);

    // Every arm's answer to a harmful prompt sits behind its own warning.
    const side = page.getByTestId('side-by-side');
    expect(await side.getByTestId('content-warning').count()).toBeGreaterThan(0);
    expect(await side.locator('dd').count()).toBe(0);
    await side.getByRole('button').first().click();
    expect(await side.locator('dd').count()).toBe(3);

    // Both trained adapters are kept with the run, as files in the origin-private file system, and download as PEFT files (two each).
    const units = ['plain__chat__seed-0', 'grsap__chat__seed-0'];
    const downloaded: string[] = [];
    page.on('download', (d) => downloaded.push(d.suggestedFilename()));
    for (const unit of units) await page.getByTestId(`export-adapter-${unit}`).click();
    await expect.poll(() => downloaded.length, { timeout: 30_000 }).toBe(4);
    expect(downloaded.sort()).toEqual(units.flatMap((u) => [`${u}-adapter_config.json`, `${u}-adapter_model.safetensors`]).sort());
    const runFiles = await opfsNames(page, 'grsap-runs', 'demo-tiny');
    for (const unit of units) expect(runFiles.some((n) => n.includes(unit) && n.endsWith('.safetensors')), unit).toBe(true);
    expect(runFiles.some((n) => n.endsWith('.partial'))).toBe(false);
    await page.screenshot({ path: join(SCREENSHOTS, 'results-1280.png'), fullPage: true });

    // A reload keeps the run's figures.
    await page.reload();
    await tab(page, 'Results').click();
    await page.getByTestId('run-results').waitFor({ timeout: 60_000 });
    for (const [key, value] of Object.entries(figures)) {
      const [metric, arm] = key.split('/');
      expect(await bar(metric, arm)).toBe(value);
    }
    await tab(page, 'Train').click();
    expect(await page.getByTestId('units').textContent()).toMatch(/grsap · chat · seed-0done/);
    // On the embedded model the own-run form starts from the demo's settings (the tiny preset's lr
    // 1e-2, LoRA r 2, 10 task examples), and switches to the paper's defaults (lr 2e-4, r 16, 400) on request.
    const form = page.getByTestId('train-form');
    const fields = async () => Promise.all(['Learning rate', 'LoRA r', 'Task examples'].map(async (label) => Number(await form.getByLabel(label, { exact: true }).inputValue())));
    expect(await page.getByTestId('train-start').inputValue()).toBe('demo');
    expect(await fields()).toEqual([1e-2, 2, 10]);
    await page.getByTestId('train-start').selectOption('paper');
    await expect.poll(fields).toEqual([2e-4, 16, 400]);

    const origin = new URL(app.server.url).origin;
    expect(requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await page.context().close();
  }, 600_000);
});
