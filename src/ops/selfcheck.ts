// Kernel self-check: every op once on a small random input, compared with its CPU reference.
// Runs in the worker of the app page and in the end-to-end test, proving the browser path.

import type { Gpu } from '../gpu/gpu';
import { mismatches, maxAbs } from '../util/compare';
import { Rng } from '../util/rng';
import { addForward, addForwardCpu } from './residual';

export interface CheckResult {
  op: string; // e.g. "matmul NT (13,37,11)"
  ok: boolean;
  maxError: number; // largest |gpu - cpu|
  scale: number; // largest |cpu|, for reading maxError
  ms: number; // wall time including readback
  detail?: string; // first mismatches, when any
}

export interface SelfCheck {
  name: string;
  tolerance: { atol: number; rtol: number };
  /** Launch the op on the GPU and return its output next to the CPU reference. */
  run(gpu: Gpu, rng: Rng): Promise<{ gpu: ArrayLike<number>; cpu: ArrayLike<number> }>;
}

const checks: SelfCheck[] = [
  {
    name: 'residual add (1031)',
    tolerance: { atol: 1e-6, rtol: 1e-6 },
    async run(gpu, rng) {
      const a = rng.uniformArray(1031);
      const b = rng.uniformArray(1031);
      const y = addForward(gpu, gpu.upload(a, [1031]), gpu.upload(b, [1031]));
      return { gpu: await y.read(), cpu: addForwardCpu(a, b) };
    },
  },
];

export function registerSelfCheck(check: SelfCheck): void {
  checks.push(check);
}

export function selfCheckNames(): string[] {
  return checks.map((c) => c.name);
}

export async function runSelfCheck(gpu: Gpu, onResult?: (r: CheckResult, done: number, total: number) => void, seed = 1): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const t0 = performance.now();
    let result: CheckResult;
    try {
      const out = await check.run(gpu, new Rng(seed));
      const m = mismatches(out.gpu, out.cpu, check.tolerance, 4);
      let maxError = 0;
      for (let i = 0; i < out.cpu.length; i++) {
        if (Number.isFinite(out.cpu[i])) maxError = Math.max(maxError, Math.abs(out.gpu[i] - out.cpu[i]));
      }
      result = {
        op: check.name,
        ok: m.count === 0 && m.checked > 0,
        maxError,
        scale: maxAbs(out.cpu),
        ms: performance.now() - t0,
        detail: m.count ? `${m.count} of ${m.checked} differ:\n${m.lines.join('\n')}` : undefined,
      };
    } catch (e) {
      result = { op: check.name, ok: false, maxError: NaN, scale: NaN, ms: performance.now() - t0, detail: String(e) };
    }
    results.push(result);
    onResult?.(result, results.length, checks.length);
  }
  return results;
}
