// The benchmark suite, shared by the Node runner and the browser bench page.
import type { Gpu } from '../src/gpu/gpu';
import { benchMatmul } from './matmul';
import { benchModel } from './model';
import { benchOps } from './ops';
import { benchProfile } from './profile';

export interface BenchOptions {
  host: 'node' | 'chromium';
  only?: string; // run only suites whose name contains this: 'matmul', 'ops', 'model', 'profile'
  layers?: number; // model suite: decoder layers instead of the shape's own (a quicker run)
  scenario?: string; // profile suite: only scenarios whose name contains this ('lora-step', 'full-step', 'generate')
  runs?: number; // profile suite: unprofiled runs per scenario (median), default 3
  log?: (message: string) => void;
}

export type BenchRecord = Record<string, unknown>;

export async function runBenchmarks(gpu: Gpu, options: BenchOptions): Promise<BenchRecord[]> {
  const adapter = [gpu.info.adapter.vendor, gpu.info.adapter.architecture, gpu.info.adapter.device].filter(Boolean).join(' ');
  const suites: [string, () => Promise<BenchRecord[]>][] = [
    ['matmul', async () => (await benchMatmul(gpu)).map((r) => ({ suite: 'matmul', ...r }))],
    ['ops', () => benchOps(gpu)],
    ['model', () => benchModel(gpu, { layers: options.layers, log: options.log })],
    ['profile', () => benchProfile(gpu, { scenario: options.scenario, runs: options.runs, log: options.log })],
  ];
  const records: BenchRecord[] = [];
  for (const [name, run] of suites) {
    if (options.only ? !name.includes(options.only) : name === 'profile') continue; // the profile runs when asked for
    options.log?.(`running ${name}`);
    for (const r of await run()) records.push({ host: options.host, adapter, ...r });
  }
  return records;
}
