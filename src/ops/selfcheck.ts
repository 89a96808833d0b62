// Kernel self-check: every op once on a small random input, compared with its CPU reference.
// Runs in the worker of the app page and in the end-to-end test, proving the browser path, and
// in Node (tests/ops/selfcheck.test.ts). The checks themselves live in selfcheck-cases.ts.

import type { Gpu } from '../gpu/gpu';
import { mismatches, maxAbs, type Tolerance } from '../util/compare';
import { Rng } from '../util/rng';
import { selfCheckCases } from './selfcheck-cases';

export interface CheckResult {
  op: string; // e.g. "matmul NT (M13 K37 N11)"
  ok: boolean;
  maxError: number; // largest |gpu - cpu| over all outputs
  scale: number; // largest |cpu|, for reading maxError
  ms: number; // wall time including pipeline compilation and readback
  detail?: string; // first mismatches, when any
}

/** One output of a check: what the GPU computed next to the CPU reference. */
export interface CheckOutput {
  label?: string; // which output, e.g. "dq"; shown with its mismatches
  gpu: ArrayLike<number>;
  cpu: ArrayLike<number>;
  tolerance?: Tolerance; // this output's tolerance, when it differs from the check's
}

export interface SelfCheck {
  name: string; // op, direction and shape, e.g. "attention backward (B2 T5 H4 KV2 D8)"
  tolerance: Tolerance;
  /** Launch the op on the GPU and return its output(s) next to the CPU reference. */
  run(gpu: Gpu, rng: Rng): Promise<CheckOutput | CheckOutput[]>;
}

export function selfCheckNames(): string[] {
  return selfCheckCases.map((c) => c.name);
}

/** Compare every output of one check; a check with nothing finite to compare fails. */
function judge(check: SelfCheck, outputs: CheckOutput[]): Omit<CheckResult, 'op' | 'ms'> {
  let ok = outputs.length > 0;
  let maxError = 0;
  let scale = 0;
  const details: string[] = [];
  for (const out of outputs) {
    const tolerance = out.tolerance ?? check.tolerance;
    const m = mismatches(out.gpu, out.cpu, tolerance, 4);
    const name = out.label ? `${out.label}: ` : '';
    if (m.count > 0) details.push(`${name}${m.count} of ${m.checked} differ (atol ${tolerance.atol}, rtol ${tolerance.rtol}):\n${m.lines.join('\n')}`);
    else if (m.checked === 0) details.push(`${name}no finite reference values to compare`);
    ok &&= m.count === 0 && m.checked > 0;
    for (let i = 0; i < out.cpu.length && i < out.gpu.length; i++) {
      if (Number.isFinite(out.cpu[i])) maxError = Math.max(maxError, Math.abs(out.gpu[i] - out.cpu[i]));
    }
    scale = Math.max(scale, maxAbs(out.cpu));
  }
  return { ok, maxError, scale, detail: details.length ? details.join('\n') : undefined };
}

export interface SelfCheckOptions {
  onResult?: (r: CheckResult, done: number, total: number) => void;
  signal?: AbortSignal; // stops between checks (throws an AbortError)
  seed?: number; // 1
}

/** Run every check; results come in list order, one per check, failures included. */
export function runSelfCheck(gpu: Gpu, options: SelfCheckOptions = {}): Promise<CheckResult[]> {
  return runChecks(gpu, selfCheckCases, options);
}

/** Run the given checks; a check that throws is reported as failed with its error. */
export async function runChecks(gpu: Gpu, list: readonly SelfCheck[], options: SelfCheckOptions = {}): Promise<CheckResult[]> {
  const { onResult, signal, seed = 1 } = options;
  const results: CheckResult[] = [];
  for (const check of list) {
    signal?.throwIfAborted();
    const t0 = performance.now();
    let result: CheckResult;
    try {
      const out = await check.run(gpu, new Rng(seed));
      result = { op: check.name, ...judge(check, Array.isArray(out) ? out : [out]), ms: performance.now() - t0 };
    } catch (e) {
      result = { op: check.name, ok: false, maxError: NaN, scale: NaN, ms: performance.now() - t0, detail: String(e) };
    }
    results.push(result);
    onResult?.(result, results.length, list.length);
  }
  return results;
}
