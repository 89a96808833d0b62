import { describe, expect, it } from 'vitest';
import { accumulate, accumulateCpu, addForward, addForwardCpu } from '../../src/ops/residual';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { testGpu } from '../helpers/gpu';

const TOL = { atol: 1e-6, rtol: 1e-6 };

// Element counts that are multiples of 4 (4, 256, 1024, 4100) take the four-an-invocation kernels.
describe('residual add', () => {
  it.each([1, 7, 256, 1031, 4, 1024, 4100])('matches the CPU reference for n=%i', async (n) => {
    const gpu = await testGpu();
    const rng = new Rng(n);
    const a = rng.uniformArray(n, -3, 3);
    const b = rng.uniformArray(n, -3, 3);
    const y = addForward(gpu, gpu.upload(a, [n]), gpu.upload(b, [n]));
    expectClose(await y.read(), addForwardCpu(a, b), TOL, 'add');
  });

  it.each([97, 100])('accumulates in place with a scale, at extreme magnitudes (n=%i)', async (n) => {
    const gpu = await testGpu();
    const rng = new Rng(3);
    const dst = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1e30 : -1e-30) * rng.uniform(0.5, 1));
    const src = rng.uniformArray(n, -1e30, 1e30);
    const d = gpu.upload(dst, [n]);
    accumulate(gpu, d, gpu.upload(src, [n]), 0.5);
    expectClose(await d.read(), accumulateCpu(dst, src, 0.5), { atol: 0, rtol: 1e-6 }, 'accumulate');
  });

  it('gives the same bits four elements an invocation as one', async () => {
    const gpu = await testGpu();
    const rng = new Rng(45);
    const n = 1024;
    const [a, b] = [rng.uniformArray(n + 1, -3, 3), rng.uniformArray(n + 1, -3, 3)];
    const run = async (count: number) => {
      const y = addForward(gpu, gpu.upload(a.subarray(0, count), [count]), gpu.upload(b.subarray(0, count), [count]));
      accumulate(gpu, y, gpu.upload(b.subarray(0, count), [count]), 0.3);
      return Array.from((await y.read()).subarray(0, n));
    };
    expect(await run(n)).toEqual(await run(n + 1));
  });

  it('rejects operands of different sizes, naming the op and shapes', async () => {
    const gpu = await testGpu();
    expect(() => addForward(gpu, gpu.zeros([3, 4]), gpu.zeros([5]))).toThrow(/add: element counts differ: a\[3, 4\], b\[5\]/);
  });
});
