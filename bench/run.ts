// `npm run bench [-- --host node|chromium|all] [--only matmul|ops|model|profile] [--profile] [--unsafe] [--layers N]
//   [--scenario lora-step|full-step|generate] [--runs N]`
// Runs the benchmark suite in Node (Dawn) and in headless Chromium and prints one JSON document.
// Benchmarks report figures; they never assert speed.
//   --profile GPU time of every dispatch of an organism-shaped training step and generation, by op
//             family (bench/profile.ts); the same as --only profile.
//   --scenario  with --profile: only the scenarios whose name contains this.
//   --runs      with --profile: unprofiled runs per scenario for the median wall time (default 3).
//   --unsafe  Node only: Dawn without robustness checks (allow_unsafe_apis, disable_robustness),
//             which SwiftShader pays 40-50% for. Not what the browser ships; for comparison.

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumPath, serveDevApp, WEBGPU_FLAGS } from '../src/cli/chromium';
import { Gpu } from '../src/gpu/gpu';
import { runBenchmarks, type BenchRecord } from './suite';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: 'all' },
    only: { type: 'string' },
    unsafe: { type: 'boolean', default: false },
    layers: { type: 'string' },
    profile: { type: 'boolean', default: false },
    scenario: { type: 'string' },
    runs: { type: 'string' },
  },
});

if (values.profile) values.only = 'profile';
const log = (m: string) => process.stderr.write(`${m}\n`);
const layers = values.layers === undefined ? undefined : Number(values.layers);
if (layers !== undefined && !(Number.isInteger(layers) && layers > 0)) {
  process.stderr.write(`--layers must be a positive integer, got ${values.layers}.\n`);
  process.exit(2);
}

const runs = values.runs === undefined ? undefined : Number(values.runs);
if (runs !== undefined && !(Number.isInteger(runs) && runs > 0)) {
  process.stderr.write(`--runs must be a positive integer, got ${values.runs}.\n`);
  process.exit(2);
}
const scenario = values.scenario;

async function inNode(): Promise<BenchRecord[]> {
  const dawnOptions = values.unsafe ? ['enable-dawn-features=allow_unsafe_apis,disable_robustness'] : [];
  const gpu = await Gpu.create({ dawnOptions });
  try {
    const records = await runBenchmarks(gpu, { host: 'node', only: values.only, layers, scenario, runs, log });
    return records.map((r) => ({ ...r, robustness: !values.unsafe }));
  } finally {
    gpu.destroy();
  }
}

async function inChromium(): Promise<BenchRecord[]> {
  const server = await serveDevApp();
  // Developer features: timestamps at full resolution (Chrome quantises them to 100 µs otherwise).
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: [...WEBGPU_FLAGS, '--enable-webgpu-developer-features'] });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => log(`[chromium] ${m.text()}`));
    const query = `?${new URLSearchParams({ ...(values.only ? { only: values.only } : {}), ...(layers ? { layers: String(layers) } : {}), ...(scenario ? { scenario } : {}), ...(runs ? { runs: String(runs) } : {}) })}`;
    await page.goto(`${server.url}bench.html${query}`);
    await page.waitForFunction(() => {
      const w = window as unknown as { __benchResult?: unknown; __benchError?: string };
      return w.__benchResult !== undefined || w.__benchError !== undefined;
    }, null, { timeout: 30 * 60_000, polling: 500 });
    const { result, error } = await page.evaluate(() => {
      const w = window as unknown as { __benchResult?: BenchRecord[]; __benchError?: string };
      return { result: w.__benchResult, error: w.__benchError };
    });
    if (error) throw new Error(`bench page failed: ${error}`);
    return result ?? [];
  } finally {
    await browser.close();
    await server.close();
  }
}

const host = values.host ?? 'all';
const out: { node?: BenchRecord[]; chromium?: BenchRecord[] } = {};
if (host === 'node' || host === 'all') out.node = await inNode();
if (host === 'chromium' || host === 'all') out.chromium = await inChromium();
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.exit(0);
