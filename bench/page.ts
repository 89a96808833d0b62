// Benchmarks in the browser: the bench runner opens this page in headless Chromium and reads
// the JSON it leaves in #result (and on window.__benchResult). With ?ab=RUNS it runs the speed
// issue's fixed scenarios instead (bench/ab-core.ts, driven by bench/ab-scenarios.ts); both are
// loaded on demand, so this page also runs in a worktree of an older commit that has only one.
import { Gpu } from '../src/gpu/gpu';

const status = document.getElementById('status')!;
const result = document.getElementById('result')!;
const w = window as unknown as { __benchResult?: unknown; __benchError?: string };

const params = new URLSearchParams(location.search);
const only = params.get('only') ?? undefined;
const layers = params.get('layers') ? Number(params.get('layers')) : undefined;
const scenario = params.get('scenario') ?? undefined;
const runs = params.get('runs') ? Number(params.get('runs')) : undefined;
const abRuns = params.get('ab') ? Number(params.get('ab')) : undefined;
try {
  const gpu = await Gpu.create();
  const log = (m: string) => (status.textContent = m);
  let records: unknown;
  if (abRuns !== undefined) {
    const { abScenarios } = await import('./ab-core');
    records = { adapter: gpu.info.adapter, records: await abScenarios(gpu, abRuns) };
  } else {
    const { runBenchmarks } = await import('./suite');
    records = await runBenchmarks(gpu, { host: 'chromium', only, layers, scenario, runs, log });
  }
  gpu.destroy();
  w.__benchResult = records;
  result.textContent = JSON.stringify(records, null, 2);
  status.textContent = 'Done';
} catch (e) {
  w.__benchError = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  status.textContent = `Failed: ${w.__benchError}`;
}
