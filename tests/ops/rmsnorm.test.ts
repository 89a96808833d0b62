import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmsnormBackward, rmsnormBackwardCpu, rmsnormForward, rmsnormForwardCpu, rmsnormVariant, setRmsnormVariant, type RmsnormVariant } from '../../src/ops/rmsnorm';
import { Rng } from '../../src/util/rng';
import { expectClose, maxAbs } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

const EPS = 1e-5;
const FWD_TOL = { atol: 1e-6, rtol: 1e-5 };

// [rows N, channels C]: ones, primes, C below, at and above the workgroup size of 256, and the
// row lengths of small models (64, 96, 128), where the chosen reduction width changes on GPUs.
const SHAPES: [number, number][] = [
  [1, 1],
  [4, 64],
  [3, 96],
  [6, 128],
  [3, 7],
  [5, 256],
  [2, 1031],
  [17, 67],
];

// Both variants: a thread per row (software adapters, C a multiple of 4; other C fall back to the
// workgroup kernel) and a workgroup per row.
describe.each<RmsnormVariant>(['row', 'workgroup'])('%s variant', (variant) => {
  beforeEach(async () => setRmsnormVariant(await testGpu(), variant));
  afterEach(async () => setRmsnormVariant(await testGpu(), null));

  it('runs the variant asked for where C is a multiple of 4', async () => {
    const gpu = await testGpu();
    expect(rmsnormVariant(gpu, 128)).toBe(variant);
    expect(rmsnormVariant(gpu, 37)).toBe('workgroup');
  });

  describe('rmsnorm forward', () => {
    it.each(SHAPES)('matches the CPU reference for N=%i C=%i', async (rows, channels) => {
      const gpu = await testGpu();
      const rng = new Rng(rows * 1000 + channels);
      const x = rng.normalArray(rows * channels, 2);
      const weight = rng.uniformArray(channels, 0.5, 1.5);
      const { y, rstd } = rmsnormForward(gpu, gpu.upload(x, [rows, channels]), gpu.upload(weight, [channels]), EPS);
      const ref = rmsnormForwardCpu(x, weight, EPS);
      expectClose(await y.read(), ref.y, FWD_TOL, 'y');
      expectClose(await rstd.read(), ref.rstd, FWD_TOL, 'rstd');
    });

    it('stays finite and accurate for rows from 1e-30 to 1e30 and an all-zero row', async () => {
      const gpu = await testGpu();
      const channels = 300;
      const rng = new Rng(9);
      const rowScales = [1e30, 1e-30, 0, 3e37];
      const x = new Float32Array(rowScales.length * channels + channels);
      rowScales.forEach((s, n) => x.set(rng.uniformArray(channels, -1, 1).map((v) => v * s), n * channels));
      // A mixed row: one huge value among ordinary ones (their squares vanish next to 1e40).
      const mixed = rng.uniformArray(channels, -1, 1);
      mixed[123] = 1e20;
      x.set(mixed, rowScales.length * channels);
      const rows = rowScales.length + 1;
      const weight = rng.uniformArray(channels, 0.5, 1.5);
      const { y, rstd } = rmsnormForward(gpu, gpu.upload(x, [rows, channels]), gpu.upload(weight, [channels]), EPS);
      const ref = rmsnormForwardCpu(x, weight, EPS);
      const gotY = await y.read();
      expect(gotY.every(Number.isFinite)).toBe(true);
      expectClose(gotY, ref.y, { atol: 1e-37, rtol: 2e-5 }, 'y extreme');
      expectClose(await rstd.read(), ref.rstd, { atol: 0, rtol: 2e-5 }, 'rstd extreme');
    });

    it('rejects mismatched shapes, naming the op and shapes', async () => {
      const gpu = await testGpu();
      expect(() => rmsnormForward(gpu, gpu.zeros([3, 4]), gpu.zeros([5]), EPS)).toThrow(/rmsnormForward: weight must be \[4\], got \[5\]/);
      expect(() => rmsnormForward(gpu, gpu.zeros([12]), gpu.zeros([12]), EPS)).toThrow(/rmsnormForward: x must have rank 2, got \[12\]/);
      expect(() => rmsnormBackward(gpu, gpu.zeros([3, 4]), gpu.zeros([4]), gpu.zeros([3]), gpu.zeros([4, 3]), gpu.zeros([4]))).toThrow(
        /rmsnormBackward: dy must be \[3, 4\], got \[4, 3\]/,
      );
    });
  });

  describe('rmsnorm backward', () => {
    it('CPU backward matches finite differences for x and weight', () => {
      const rows = 3;
      const channels = 5;
      const rng = new Rng(4);
      const x = Float64Array.from(rng.normalArray(rows * channels));
      const weight = Float64Array.from(rng.uniformArray(channels, 0.5, 1.5));
      const dy = Float64Array.from(rng.normalArray(rows * channels));
      const dWeight0 = Float64Array.from(rng.normalArray(channels));
      const { dx, dWeight } = rmsnormBackwardCpu(x, weight, dy, EPS, dWeight0);
      const numericDx = numericGradient((v) => rmsnormForwardCpu(v, weight, EPS).y, x, dy);
      const numericDw = numericGradient((w) => rmsnormForwardCpu(x, w, EPS).y, weight, dy);
      expectClose(dx, numericDx, { atol: 1e-8, rtol: 1e-6 }, 'dx vs finite differences');
      expectClose(dWeight.map((v, c) => v - dWeight0[c]), numericDw, { atol: 1e-8, rtol: 1e-6 }, 'dWeight vs finite differences');
    });

    it.each(SHAPES)('GPU matches the CPU reference for N=%i C=%i (dWeight accumulates)', async (rows, channels) => {
      const gpu = await testGpu();
      const rng = new Rng(rows * 31 + channels);
      const x = rng.normalArray(rows * channels, 1.5);
      const weight = rng.uniformArray(channels, 0.5, 1.5);
      const dy = rng.normalArray(rows * channels);
      const dWeight0 = rng.normalArray(channels);
      const xt = gpu.upload(x, [rows, channels]);
      const wt = gpu.upload(weight, [channels]);
      const dWeight = gpu.upload(dWeight0, [channels]);
      const { rstd } = rmsnormForward(gpu, xt, wt, EPS);
      const dx = rmsnormBackward(gpu, xt, wt, rstd, gpu.upload(dy, [rows, channels]), dWeight);
      const ref = rmsnormBackwardCpu(x, weight, dy, EPS, dWeight0);
      expectClose(await dx.read(), ref.dx, { atol: 1e-5, rtol: 1e-4 }, 'dx');
      expectClose(await dWeight.read(), ref.dWeight, { atol: 1e-5, rtol: 1e-4 }, 'dWeight');
    });

    it.each([
      [3, 64],
      [5, 96],
      [2, 128],
      [7, 37],
    ])('adds a residual gradient into dx in the same pass for N=%i C=%i', async (rows, channels) => {
      const gpu = await testGpu();
      const rng = new Rng(rows * 17 + channels);
      const x = rng.normalArray(rows * channels, 1.5);
      const weight = rng.uniformArray(channels, 0.5, 1.5);
      const dy = rng.normalArray(rows * channels);
      const residual = rng.normalArray(rows * channels);
      const xt = gpu.upload(x, [rows, channels]);
      const wt = gpu.upload(weight, [channels]);
      const { rstd } = rmsnormForward(gpu, xt, wt, EPS);
      const dx = rmsnormBackward(gpu, xt, wt, rstd, gpu.upload(dy, [rows, channels]), undefined, { residual: gpu.upload(residual, [rows, channels]) });
      const ref = rmsnormBackwardCpu(x, weight, dy, EPS);
      expectClose(await dx.read(), ref.dx.map((v, i) => v + residual[i]), { atol: 1e-5, rtol: 1e-4 }, 'dx + residual');
      expect(() => rmsnormBackward(gpu, xt, wt, rstd, gpu.upload(dy, [rows, channels]), undefined, { residual: gpu.zeros([rows + 1, channels]) })).toThrow(
        /rmsnormBackward: residual must be/,
      );
    });

    it('stays finite for rows at 1e30 and 1e-30 (x̂ form, no rstd³)', async () => {
      const gpu = await testGpu();
      const channels = variant === 'row' ? 36 : 37;
      const rng = new Rng(77);
      const scales = [1e30, 1e-30, 1];
      const x = new Float32Array(scales.length * channels);
      scales.forEach((s, n) => x.set(rng.uniformArray(channels, -1, 1).map((v) => v * s), n * channels));
      const weight = rng.uniformArray(channels, 0.5, 1.5);
      const dy = rng.normalArray(x.length);
      const xt = gpu.upload(x, [scales.length, channels]);
      const wt = gpu.upload(weight, [channels]);
      const dWeight = gpu.zeros([channels]);
      const { rstd } = rmsnormForward(gpu, xt, wt, EPS);
      const dx = rmsnormBackward(gpu, xt, wt, rstd, gpu.upload(dy, [scales.length, channels]), dWeight);
      const ref = rmsnormBackwardCpu(x, weight, dy, EPS);
      const gotDx = await dx.read();
      expect(gotDx.every(Number.isFinite)).toBe(true);
      // dx scales as 1/|x| per row: compare each row relative to its own magnitude.
      for (let n = 0; n < scales.length; n++) {
        const row = ref.dx.subarray(n * channels, (n + 1) * channels);
        expectClose(gotDx.subarray(n * channels, (n + 1) * channels), row, { atol: 1e-5 * maxAbs(row), rtol: 1e-4 }, `dx row ${n}`);
      }
      expectClose(await dWeight.read(), ref.dWeight, { atol: 1e-5, rtol: 1e-4 }, 'dWeight extreme');
    });
  });
});
