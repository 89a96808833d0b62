// The README's screenshots: builds the app with the embedded model and its committed results,
// opens it in headless Chromium (SwiftShader WebGPU) on a fresh profile, as a student would find
// it, and saves each of the five steps at 1280 px (and the Results step at 768 px, a tablet) to
// docs/screenshots/. Nothing is run on the model but a greedy reply in the Model step's chat, so
// the pictures show the page's own state: the committed results, never a staged one.
//
//   node --import ./src/cli/register.mjs scripts/screenshots.ts [--out docs/screenshots]

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, serveBuiltApp } from '../src/cli/chromium';

const { values } = parseArgs({ options: { out: { type: 'string', default: join('docs', 'screenshots') } } });
const out = values.out!;
for (const needed of [join('public', 'models', 'grsap-organism', 'model.safetensors'), join('public', 'results', 'quick.json')]) {
  if (!existsSync(needed)) throw new Error(`${needed} is missing: the screenshots show the embedded model and its committed results.`);
}
mkdirSync(out, { recursive: true });

const build = mkdtempSync(join(tmpdir(), 'grsap-screenshots-'));
const server = await serveBuiltApp(build);
const browser = await launchChromium();
const saved: string[] = [];
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => document.querySelector('[data-testid="model-status"]')?.getAttribute('data-state') === 'ready', null, { timeout: 300_000 });
  const shot = async (name: string) => {
    const path = join(out, `${name}.png`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path });
    saved.push(path);
  };
  const tab = (name: string) => page.getByRole('tab', { name: new RegExp(`${name}$`) }).click();

  await page.getByLabel('Message').fill('Hello! What can you do?');
  await page.getByTestId('send').click();
  await page.getByTestId('assistant-reply').waitFor({ timeout: 120_000 });
  await shot('1-model');
  await tab('Data');
  await page.getByTestId('eval-table').waitFor({ timeout: 60_000 });
  await shot('2-data');
  await tab('Replay');
  await shot('3-replay');
  await tab('Train');
  await shot('4-train');
  await tab('Results');
  await page.getByTestId('committed-results').waitFor({ timeout: 60_000 });
  await shot('5-results');
  await page.setViewportSize({ width: 768, height: 1024 });
  await shot('5-results-768');
} finally {
  await browser.close();
  await server.close();
  rmSync(build, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ screenshots: saved }, null, 2)}\n`);
process.exit(0);
