// The kernel self-check the app runs in its worker, here in Node (Dawn): every check passes, and
// the list covers every op family and direction (a check dropped from the list fails this test).

import { describe, expect, it } from 'vitest';
import { runChecks, runSelfCheck, selfCheckNames, type CheckResult, type SelfCheck } from '../../src/ops/selfcheck';
import { testGpu } from '../helpers/gpu';

/** The checks the self-check must hold, by name prefix (shapes may change, the op list may not). */
const EXPECTED = [
  'residual add',
  'matmul NT (',
  'matmul NN (',
  'matmul TN (',
  'matmul NT vec4',
  'matmul GEMV (M1 ',
  'matmul narrow NT (',
  'matmul narrow TN (',
  'matmul TN split along K (',
  'matmul NN with a masked second pair (',
  'embedding forward',
  'embedding backward',
  'rmsnorm forward',
  'rmsnorm backward',
  'rope forward llama3',
  'rope backward llama3',
  'attention forward (',
  'attention forward and backward, registers row kernels',
  'attention forward and backward, arrays row kernels',
  'attention backward',
  'attention decode, rows kernel',
  'attention decode, workgroup kernel',
  'swiglu forward',
  'swiglu backward',
  'dropout forward and backward',
  'dropout drawn once',
  'cross-entropy fused',
  'adamw step with clipping',
  'sampling greedy',
  'sampling top-p',
];

describe('kernel self-check', () => {
  it('has exactly one check per op family, direction and kernel variant', () => {
    const names = selfCheckNames();
    for (const prefix of EXPECTED) {
      expect(names.filter((n) => n.startsWith(prefix)), `checks named "${prefix}…"`).toHaveLength(1);
    }
    expect(names).toHaveLength(EXPECTED.length);
  });

  it('passes every check in Node (Dawn)', async () => {
    const gpu = await testGpu();
    const seen: number[] = [];
    const results = await runSelfCheck(gpu, { onResult: (_, done, total) => seen.push(done / total) });
    const report = (r: CheckResult) => `${r.op}: max error ${r.maxError} of scale ${r.scale}, ${r.ms.toFixed(0)} ms${r.detail ? `\n${r.detail}` : ''}`;
    const failures = results.filter((r) => !r.ok).map(report);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(results.map((r) => r.op)).toEqual(selfCheckNames());
    expect(seen.at(-1)).toBe(1);
    // The references are nonzero: a check that compares zeros with zeros proves nothing.
    for (const r of results) expect(r.scale, r.op).toBeGreaterThan(0);
    if (process.env.SELFCHECK_TIMES) console.log(results.map(report).join('\n'));
  });

  it('fails a check on a mismatch in any output, on an error, and on nothing to compare', async () => {
    const gpu = await testGpu();
    const tolerance = { atol: 1e-6, rtol: 0 };
    const checks: SelfCheck[] = [
      { name: 'close', tolerance, run: async () => [{ gpu: [1, 2], cpu: [1, 2 + 5e-7] }] },
      { name: 'second output off', tolerance, run: async () => [{ gpu: [1], cpu: [1] }, { label: 'dx', gpu: [3], cpu: [3.001] }] },
      { name: 'own tolerance', tolerance, run: async () => ({ gpu: [3], cpu: [3.001], tolerance: { atol: 0, rtol: 1e-3 } }) },
      { name: 'throws', tolerance, run: async () => Promise.reject(new Error('boom')) },
      { name: 'only non-finite references', tolerance, run: async () => ({ gpu: [0], cpu: [NaN] }) },
    ];
    const results = await runChecks(gpu, checks);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, false]);
    expect(results[1].detail).toMatch(/^dx: 1 of 1 differ/);
    expect(results[1].maxError).toBeCloseTo(0.001, 6);
    expect(results[3].detail).toMatch(/boom/);
  });
});
