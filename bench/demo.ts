// The one-click demo's wall time in headless Chromium: builds the app with the embedded model,
// opens it on a fresh profile, presses "Run the whole demo" and times it to the end, sampling the
// demo's status line every 5 s so the time of each phase can be read back. Prints one JSON record
// on stdout. A benchmark: it reports figures and never asserts them.
//
//   node --import ./src/cli/register.mjs bench/demo.ts [--preset quick] [--timeout-min 60]

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, serveBuiltApp } from '../src/cli/chromium';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, 'timeout-min': { type: 'string', default: '60' } } });
const timeoutMs = Number(values['timeout-min']) * 60_000;
if (!(timeoutMs > 0)) throw new Error(`--timeout-min must be a positive number of minutes, got ${values['timeout-min']}.`);
if (!existsSync(join('public', 'models', 'grsap-organism', 'model.safetensors'))) {
  throw new Error('public/models/grsap-organism is missing: the demo runs on the embedded model (npm run cli -- organism writes it).');
}

const log = (m: string) => process.stderr.write(`${m}\n`);
const outDir = mkdtempSync(join(tmpdir(), 'grsap-demo-bench-'));
const server = await serveBuiltApp(outDir);
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const query = values.preset === 'quick' ? '' : `?preset=${encodeURIComponent(values.preset!)}`;
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="model-status"]')?.getAttribute('data-state') === 'ready', null, { timeout: 300_000 });
  const adapter = (await page.getByTestId('adapter-summary').innerText()).replace(/\s+/g, ' ').trim();
  await page.getByRole('tab', { name: /Results$/ }).click();
  const t0 = performance.now();
  await page.getByTestId('run-demo').click();
  const lines: { atSec: number; line: string }[] = [];
  let state = 'running';
  while (performance.now() - t0 < timeoutMs) {
    await page.waitForTimeout(5000);
    state = (await page.getByTestId('demo-status').getAttribute('data-state')) ?? 'unknown';
    const line = (await page.getByTestId('demo-status').textContent())?.trim() ?? '';
    if (line !== lines.at(-1)?.line) {
      lines.push({ atSec: Math.round((performance.now() - t0) / 1000), line });
      log(`${lines.at(-1)!.atSec} s: ${line}`);
    }
    if (['done', 'failed', 'paused'].includes(state)) break;
  }
  const wallSec = Math.round((performance.now() - t0) / 1000);
  const error = state === 'failed' ? await page.getByTestId('demo-error').textContent() : null;
  process.stdout.write(`${JSON.stringify({ bench: 'demo', host: 'chromium', preset: values.preset, adapter, state, wallSec, error, lines }, null, 2)}\n`);
} finally {
  await browser.close();
  await server.close();
  rmSync(outDir, { recursive: true, force: true });
}
