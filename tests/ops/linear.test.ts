// The linear layer (src/ops/linear.ts: y = x·Wᵀ + b and its backward, on matmul) against its CPU
// reference, and that reference's backward against finite differences.

import { describe, expect, it } from 'vitest';
import { linearBackward, linearBackwardCpu, linearForward, linearForwardCpu } from '../../src/ops/linear';
import { matmulTolerance as tolFor, setMatmulVariant } from '../../src/ops/matmul';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

describe('linear', () => {
  it('linearForward matches y = x·Wᵀ + b, for sequences and single decode rows', async () => {
    const gpu = await testGpu();
    const rng = new Rng(21);
    const [inF, outF] = [12, 20];
    const w = rng.uniformArray(outF * inF);
    const bias = rng.uniformArray(outF);
    for (const xShape of [[2, 5, inF], [1, 1, inF], [3, inF]]) {
      const rows = xShape.slice(0, -1).reduce((p, q) => p * q, 1);
      const x = rng.uniformArray(rows * inF);
      const y = linearForward(gpu, gpu.upload(x, xShape), gpu.upload(w, [outF, inF]), gpu.upload(bias, [outF]));
      expect(y.shape).toEqual([...xShape.slice(0, -1), outF]);
      expectClose(await y.read(), linearForwardCpu(x, w, rows, inF, outF, bias), tolFor(inF), `linear x${xShape}`);
    }
  });

  it('CPU backward matches central finite differences of the CPU forward', () => {
    const rng = new Rng(23);
    const [rows, inF, outF] = [3, 5, 4];
    const x = rng.uniformArray(rows * inF);
    const w = rng.uniformArray(outF * inF);
    const bias = rng.uniformArray(outF);
    const dy = rng.uniformArray(rows * outF); // weights of L = Σ y·dy
    const { dx, dw, db } = linearBackwardCpu(x, w, dy, rows, inF, outF);
    const tol = { atol: 1e-7, rtol: 1e-6 };
    expectClose(dx, numericGradient((v) => linearForwardCpu(v, w, rows, inF, outF, bias), x, dy), tol, 'dx');
    expectClose(dw, numericGradient((v) => linearForwardCpu(x, v, rows, inF, outF, bias), w, dy), tol, 'dw');
    expectClose(db, numericGradient((v) => linearForwardCpu(x, w, rows, inF, outF, v), bias, dy), tol, 'db');
  });

  it.each([
    [20, 12], // every product on the register tile
    [13, 7], // odd feature counts: the fallback kernels
  ])('GPU backward matches the CPU backward (in=%i, out=%i), accumulating dW and db', async (inF, outF) => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, 'register');
    const rng = new Rng(inF * 100 + outF);
    const xShape = [2, 9, inF];
    const rows = 18;
    const x = rng.uniformArray(rows * inF);
    const w = rng.uniformArray(outF * inF);
    const dy = rng.uniformArray(rows * outF);
    const dw0 = rng.uniformArray(outF * inF);
    const db0 = rng.uniformArray(outF);
    const dw = gpu.upload(dw0, [outF, inF]);
    const db = gpu.upload(db0, [outF]);
    const dx = linearBackward(gpu, gpu.upload(x, xShape), gpu.upload(w, [outF, inF]), gpu.upload(dy, [2, 9, outF]), dw, db);
    expect(dx.shape).toEqual(xShape);
    const ref = linearBackwardCpu(x, w, dy, rows, inF, outF);
    expectClose(await dx.read(), ref.dx, tolFor(outF), 'dx');
    expectClose(await dw.read(), ref.dw.map((v, i) => v + dw0[i]), tolFor(rows), 'dw accumulated');
    expectClose(await db.read(), ref.db.map((v, i) => v + db0[i]), tolFor(rows), 'db accumulated');
  });

  it('adds dx into a given tensor with accumulateDx', async () => {
    const gpu = await testGpu();
    const rng = new Rng(31);
    const [rows, inF, outF] = [6, 8, 12];
    const x = rng.uniformArray(rows * inF);
    const w = rng.uniformArray(outF * inF);
    const dy = rng.uniformArray(rows * outF);
    const dx0 = rng.uniformArray(rows * inF);
    const dx = gpu.upload(dx0, [rows, inF]);
    const back = linearBackward(gpu, gpu.upload(x, [rows, inF]), gpu.upload(w, [outF, inF]), gpu.upload(dy, [rows, outF]), undefined, undefined, { dx, accumulateDx: true });
    expect(back).toBe(dx);
    const ref = linearBackwardCpu(x, w, dy, rows, inF, outF);
    expectClose(await dx.read(), ref.dx.map((v, i) => v + dx0[i]), tolFor(outF), 'dx accumulated');
  });

  it('rejects inputs that do not fit the weight, naming the op and shapes', async () => {
    const gpu = await testGpu();
    const w = gpu.zeros([6, 4]);
    expect(() => linearForward(gpu, gpu.zeros([2, 5]), w)).toThrow(/linearForward: x must end in in=4: x\[2, 5\], w\[6, 4\]/);
    expect(() => linearBackward(gpu, gpu.zeros([3, 4]), w, gpu.zeros([3, 5]))).toThrow(/linearBackward: dy must be \[3, 6\], got dy\[3, 5\]/);
    expect(() => linearBackward(gpu, gpu.zeros([3, 4]), w, gpu.zeros([3, 6]), gpu.zeros([4, 6]))).toThrow(/linearBackward: dw must be \[6, 4\], got \[4, 6\]/);
  });
});
