// Benchmarks in the browser: the bench runner opens this page in headless Chromium and reads
// the JSON it leaves in #result (and on window.__benchResult).
import { Gpu } from '../src/gpu/gpu';
import { runBenchmarks } from './suite';

const status = document.getElementById('status')!;
const result = document.getElementById('result')!;
const w = window as unknown as { __benchResult?: unknown; __benchError?: string };

const params = new URLSearchParams(location.search);
const only = params.get('only') ?? undefined;
const layers = params.get('layers') ? Number(params.get('layers')) : undefined;
const scenario = params.get('scenario') ?? undefined;
const runs = params.get('runs') ? Number(params.get('runs')) : undefined;
try {
  const gpu = await Gpu.create();
  const records = await runBenchmarks(gpu, { host: 'chromium', only, layers, scenario, runs, log: (m) => (status.textContent = m) });
  gpu.destroy();
  w.__benchResult = records;
  result.textContent = JSON.stringify(records, null, 2);
  status.textContent = 'Done';
} catch (e) {
  w.__benchError = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
  status.textContent = `Failed: ${w.__benchError}`;
}
