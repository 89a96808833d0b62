import { describe, expect, it } from 'vitest';
import { accumulate, accumulateCpu, addForward, addForwardCpu } from '../../src/ops/residual';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { testGpu } from '../helpers/gpu';

const TOL = { atol: 1e-6, rtol: 1e-6 };

describe('residual add', () => {
  it.each([1, 7, 256, 1031])('matches the CPU reference for n=%i', async (n) => {
    const gpu = await testGpu();
    const rng = new Rng(n);
    const a = rng.uniformArray(n, -3, 3);
    const b = rng.uniformArray(n, -3, 3);
    const y = addForward(gpu, gpu.upload(a, [n]), gpu.upload(b, [n]));
    expectClose(await y.read(), addForwardCpu(a, b), TOL, 'add');
  });

  it('accumulates in place with a scale, at extreme magnitudes', async () => {
    const gpu = await testGpu();
    const n = 97;
    const rng = new Rng(3);
    const dst = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1e30 : -1e-30) * rng.uniform(0.5, 1));
    const src = rng.uniformArray(n, -1e30, 1e30);
    const d = gpu.upload(dst, [n]);
    accumulate(gpu, d, gpu.upload(src, [n]), 0.5);
    expectClose(await d.read(), accumulateCpu(dst, src, 0.5), { atol: 0, rtol: 1e-6 }, 'accumulate');
  });

  it('rejects operands of different sizes, naming the op and shapes', async () => {
    const gpu = await testGpu();
    expect(() => addForward(gpu, gpu.zeros([3, 4]), gpu.zeros([5]))).toThrow(/add: element counts differ: a\[3, 4\], b\[5\]/);
  });
});
