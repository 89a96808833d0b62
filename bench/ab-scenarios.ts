// Runs the small-model speed issue's fixed scenarios (bench/ab-core.ts) in Node or in headless
// Chromium and prints one JSON document; asserts nothing. The same files run in a worktree of the
// issue's "before" commit, so one machine gives the before and the after:
//
//   git worktree add /tmp/before 5b3fdd1 && ln -s "$PWD/node_modules" /tmp/before/node_modules
//   cp bench/ab-core.ts bench/ab-scenarios.ts bench/page.ts bench/random-weights.ts bench/timing.ts /tmp/before/bench/
//   (cd /tmp/before && node --import ./src/cli/register.mjs bench/ab-scenarios.ts --host chromium)   # then the same here
//
// --host node (default): Dawn in this process, SwiftShader or whatever adapter it finds, with the
// process's CPU time per step. --host chromium: the Vite dev server and Debian's chromium
// (bench.html?ab=RUNS), WebGPU on SwiftShader; no CPU time.

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumPath, serveDevApp, WEBGPU_FLAGS } from '../src/cli/chromium';
import { Gpu } from '../src/gpu/gpu';
import { abScenarios } from './ab-core';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, host: { type: 'string', default: 'node' } } });
const runs = Number(values.runs);
if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer, got ${values.runs}.`);
if (values.host !== 'node' && values.host !== 'chromium') throw new Error(`--host must be node or chromium, got ${values.host}.`);

async function inNode(): Promise<{ adapter: unknown; records: unknown }> {
  const gpu = await Gpu.create();
  try {
    const cpuMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    return { adapter: gpu.info.adapter, records: await abScenarios(gpu, runs, cpuMs) };
  } finally {
    gpu.destroy();
  }
}

async function inChromium(): Promise<{ adapter: unknown; records: unknown }> {
  const server = await serveDevApp();
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: WEBGPU_FLAGS });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`[chromium] ${m.text()}\n`));
    await page.goto(`${server.url}bench.html?ab=${runs}`);
    await page.waitForFunction(() => {
      const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
      return w.__benchResult !== undefined || w.__benchError !== undefined;
    }, null, { timeout: 60 * 60_000, polling: 500 });
    const { result, error } = await page.evaluate(() => {
      const w = window as unknown as { __benchResult?: { adapter: unknown; records: unknown }; __benchError?: string };
      return { result: w.__benchResult, error: w.__benchError };
    });
    if (error || !result) throw new Error(`bench page failed: ${error ?? 'no result'}`);
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}

const { adapter, records } = values.host === 'node' ? await inNode() : await inChromium();
console.log(JSON.stringify({ bench: 'ab-scenarios', host: values.host, adapter, runs, records }, null, 2));
process.exit(0);
