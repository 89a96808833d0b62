import { describe, expect, it } from 'vitest';
import { swigluBackward, swigluBackwardCpu, swigluForward, swigluForwardCpu } from '../../src/ops/swiglu';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

const TOL = { atol: 1e-6, rtol: 1e-5 };

// [rows N, feed-forward F]: ones, primes, sizes around the workgroup size of 256 (one element an
// invocation); element counts that are multiples of 4 take the four-an-invocation kernels: the
// organism's F = 344, and more than one workgroup of them.
const SHAPES: [number, number][] = [
  [1, 1],
  [3, 7],
  [1, 257],
  [13, 89],
  [1, 4],
  [3, 344],
  [16, 260],
];

describe('swiglu forward', () => {
  it.each(SHAPES)('matches the CPU reference for N=%i F=%i', async (rows, ff) => {
    const gpu = await testGpu();
    const rng = new Rng(rows * 100 + ff);
    const gate = rng.normalArray(rows * ff, 3);
    const up = rng.normalArray(rows * ff);
    const h = swigluForward(gpu, gpu.upload(gate, [rows, ff]), gpu.upload(up, [rows, ff]));
    expect(h.shape).toEqual([rows, ff]);
    expectClose(await h.read(), swigluForwardCpu(gate, up), TOL, 'h');
  });

  // 10 elements: one an invocation; 12: four an invocation.
  it.each([10, 12])('is finite and exact in the tails for gate = ±100, ±1e4, ±3e38 (%i elements)', async (count) => {
    const gpu = await testGpu();
    const gate = Float32Array.from([100, -100, 1e4, -1e4, 3e38, -3e38, 88.8, -88.8, 0, -0, 1, -1].slice(0, count));
    const up = Float32Array.from([1, 1, 1, 1, 1e-30, 1, 2, 2, 5, 5, 1, 1].slice(0, count));
    const dh = new Float32Array(count).fill(1);
    const n = gate.length;
    const [g, u] = [gpu.upload(gate, [n]), gpu.upload(up, [n])];
    const h = await swigluForward(gpu, g, u).read();
    const { dGate, dUp } = swigluBackward(gpu, g, u, gpu.upload(dh, [n]));
    const [gotDg, gotDu] = [await dGate.read(), await dUp.read()];
    for (const v of [...h, ...gotDg, ...gotDu]) expect(Number.isFinite(v)).toBe(true);
    const ref = swigluBackwardCpu(gate, up, dh);
    // GPUs may flush subnormals to zero: σ(−88.8) = 2.7e−39 becomes 0, so silu(−88.8)·2 is 0
    // instead of −4.8e−37. The error is at most |g·up·dh|·2^−126 ≤ 200·1.2e−38 here.
    const tol = { atol: 1e-35, rtol: 1e-6 };
    expectClose(h, swigluForwardCpu(gate, up), tol, 'h tails');
    expectClose(gotDg, ref.dGate, tol, 'dGate tails');
    expectClose(gotDu, ref.dUp, tol, 'dUp tails');
    expect(h[0]).toBe(100);
    expect(gotDg[2]).toBe(1); // silu'(1e4) = 1 exactly, not NaN from inf/inf
    expect(Math.abs(gotDg[3])).toBe(0); // σ(−1e4)·(1 − 1e4) = −0
  });

  it('rejects operands of different sizes, naming the op and shapes', async () => {
    const gpu = await testGpu();
    expect(() => swigluForward(gpu, gpu.zeros([2, 3]), gpu.zeros([2, 4]))).toThrow(/swigluForward: element counts differ: gate\[2, 3\], up\[2, 4\]/);
    expect(() => swigluBackward(gpu, gpu.zeros([6]), gpu.zeros([6]), gpu.zeros([5]))).toThrow(/swigluBackward: element counts differ/);
  });
});

describe('swiglu backward', () => {
  it('CPU backward matches finite differences for gate and up', () => {
    const rng = new Rng(8);
    const n = 12;
    const gate = Float64Array.from(rng.normalArray(n, 4));
    const up = Float64Array.from(rng.normalArray(n));
    const dh = Float64Array.from(rng.normalArray(n));
    const { dGate, dUp } = swigluBackwardCpu(gate, up, dh);
    expectClose(dGate, numericGradient((g) => swigluForwardCpu(g, up), gate, dh), { atol: 1e-8, rtol: 1e-6 }, 'dGate vs finite differences');
    expectClose(dUp, numericGradient((u) => swigluForwardCpu(gate, u), up, dh), { atol: 1e-8, rtol: 1e-6 }, 'dUp vs finite differences');
  });

  it.each(SHAPES)('GPU matches the CPU reference for N=%i F=%i', async (rows, ff) => {
    const gpu = await testGpu();
    const rng = new Rng(rows * 7 + ff * 13);
    const gate = rng.normalArray(rows * ff, 4);
    const up = rng.normalArray(rows * ff);
    const dh = rng.normalArray(rows * ff);
    const shape = [rows, ff];
    const { dGate, dUp } = swigluBackward(gpu, gpu.upload(gate, shape), gpu.upload(up, shape), gpu.upload(dh, shape));
    const ref = swigluBackwardCpu(gate, up, dh);
    expectClose(await dGate.read(), ref.dGate, TOL, 'dGate');
    expectClose(await dUp.read(), ref.dUp, TOL, 'dUp');
  });
});

describe('swiglu four elements an invocation', () => {
  // Training resumes bit-exactly only if a checkpoint's numbers do not depend on which kernel ran:
  // the same 1,024 elements through the vec4 kernels (1,024 elements) and the one-an-invocation
  // kernels (1,025: one more element keeps them off the vec4 path) give the same bits.
  it('gives the one-an-invocation kernels\' bits', async () => {
    const gpu = await testGpu();
    const rng = new Rng(44);
    const n = 1024;
    const [gate, up, dh] = [rng.normalArray(n + 1, 4), rng.normalArray(n + 1), rng.normalArray(n + 1)];
    const run = async (count: number) => {
      const [g, u] = [gpu.upload(gate.subarray(0, count), [count]), gpu.upload(up.subarray(0, count), [count])];
      const { dGate, dUp } = swigluBackward(gpu, g, u, gpu.upload(dh.subarray(0, count), [count]));
      return [await swigluForward(gpu, g, u).read(), await dGate.read(), await dUp.read()].map((a) => Array.from(a.subarray(0, n)));
    };
    const [vec4, scalar] = [await run(n), await run(n + 1)];
    expect(vec4).toEqual(scalar);
  });
});
