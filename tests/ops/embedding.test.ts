import { describe, expect, it } from 'vitest';
import { embeddingBackward, embeddingBackwardCpu, embeddingForward, embeddingForwardCpu, validateTokenIds } from '../../src/ops/embedding';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

const EXACT = { atol: 0, rtol: 0 };

function randomIds(rng: Rng, n: number, vocab: number): Uint32Array {
  return Uint32Array.from({ length: n }, () => rng.int(vocab));
}

describe('embedding forward', () => {
  // [positions N, vocab V, channels C]: ones, primes, C not a multiple of the workgroup size.
  it.each([
    [1, 1, 1],
    [5, 3, 7],
    [37, 11, 67],
    [64, 1000, 13],
  ])('gathers rows like the CPU reference for N=%i V=%i C=%i', async (n, vocab, channels) => {
    const gpu = await testGpu();
    const rng = new Rng(n * 7 + vocab);
    const ids = randomIds(rng, n, vocab);
    const table = rng.uniformArray(vocab * channels, -2, 2);
    const out = embeddingForward(gpu, gpu.upload(ids, [n], 'u32'), gpu.upload(table, [vocab, channels]));
    expect(out.shape).toEqual([n, channels]);
    expectClose(await out.read(), embeddingForwardCpu(ids, table, vocab, channels), EXACT, 'embedding');
  });

  it('takes (B,T) ids and returns (B·T, C)', async () => {
    const gpu = await testGpu();
    const rng = new Rng(5);
    const ids = randomIds(rng, 6, 9);
    const table = rng.uniformArray(9 * 4);
    const out = embeddingForward(gpu, gpu.upload(ids, [2, 3], 'u32'), gpu.upload(table, [9, 4]));
    expect(out.shape).toEqual([6, 4]);
    expectClose(await out.read(), embeddingForwardCpu(ids, table, 9, 4), EXACT, 'embedding (B,T)');
  });

  it('copies extreme values exactly and writes zero rows for out-of-range ids', async () => {
    const gpu = await testGpu();
    const vocab = 4;
    const channels = 3;
    const table = Float32Array.from([3e38, -3e38, 1e-38, -1e-45, 7, 1e30, 1, 2, 3, -1e-30, 5e37, 0]);
    const ids = Int32Array.from([3, 4, -1, 0, 2147483647, 1, 2]);
    const out = embeddingForward(gpu, gpu.upload(ids, [ids.length], 'i32'), gpu.upload(table, [vocab, channels]));
    const got = await out.read();
    expectClose(got, embeddingForwardCpu(ids, table, vocab, channels), EXACT, 'embedding extreme');
    expect(Array.from(got.subarray(3, 9))).toEqual([0, 0, 0, 0, 0, 0]); // ids 4 and -1
  });

  it('rejects mismatched shapes and dtypes, naming the op and shapes', async () => {
    const gpu = await testGpu();
    const table = gpu.zeros([10, 4]);
    expect(() => embeddingForward(gpu, gpu.zeros([3]), table)).toThrow(/embeddingForward: ids must be u32 or i32, got f32/);
    expect(() => embeddingForward(gpu, gpu.zeros([3], 'u32'), gpu.zeros([40]))).toThrow(/embeddingForward: table must have rank 2, got \[40\]/);
    expect(() => embeddingBackward(gpu, gpu.zeros([3], 'u32'), gpu.zeros([3, 5]), table)).toThrow(/embeddingBackward: dy must be \[3, 4\], got \[3, 5\]/);
  });

  it('validates host ids against the vocabulary', () => {
    expect(() => validateTokenIds([0, 5, 9], 10)).not.toThrow();
    expect(() => validateTokenIds([0, 10, 3], 10)).toThrow(/token id 10 at position 1 is outside the vocabulary \[0, 10\)/);
    expect(() => validateTokenIds([-1], 10)).toThrow(/token id -1 at position 0/);
  });
});

describe('embedding backward', () => {
  it('CPU backward matches finite differences of the CPU forward', () => {
    const rng = new Rng(11);
    const vocab = 5;
    const channels = 3;
    const ids = [1, 4, 1, 0, 1, 7]; // repeats, and one id out of range
    const table = rng.uniformArray(vocab * channels);
    const dy = rng.uniformArray(ids.length * channels);
    const numeric = numericGradient((t) => embeddingForwardCpu(ids, t, vocab, channels), table, dy);
    const analytic = embeddingBackwardCpu(ids, dy, new Float64Array(vocab * channels), channels);
    expectClose(analytic, numeric, { atol: 1e-8, rtol: 1e-7 }, 'dTable vs finite differences');
  });

  it.each([
    [1, 1, 1],
    [7, 3, 5],
    [300, 17, 37], // heavy collisions: every id repeats ~18 times
    [97, 1009, 29], // mostly unique ids in a larger vocabulary
  ])('accumulates like the CPU reference for N=%i V=%i C=%i', async (n, vocab, channels) => {
    const gpu = await testGpu();
    const rng = new Rng(n + vocab * 3 + channels);
    const ids = randomIds(rng, n, vocab);
    if (n > 10) ids[n - 1] = vocab + 3; // an out-of-range id must be dropped, not written anywhere
    const dy = rng.uniformArray(n * channels, -1, 1);
    const dTable0 = rng.uniformArray(vocab * channels, -1, 1); // accumulate onto existing values
    const dTable = gpu.upload(dTable0, [vocab, channels]);
    embeddingBackward(gpu, gpu.upload(ids, [n], 'u32'), gpu.upload(dy, [n, channels]), dTable);
    expectClose(await dTable.read(), embeddingBackwardCpu(ids, dy, dTable0, channels), { atol: 1e-5, rtol: 1e-5 }, 'dTable');
  });

  it('is deterministic with repeated ids (bit-identical over runs)', async () => {
    const gpu = await testGpu();
    const rng = new Rng(21);
    const n = 200;
    const vocab = 3;
    const channels = 9;
    const ids = gpu.upload(randomIds(rng, n, vocab), [n], 'u32');
    const dy = gpu.upload(rng.normalArray(n * channels, 1e3), [n, channels]);
    const runs: Float32Array[] = [];
    for (let r = 0; r < 3; r++) {
      const dTable = gpu.zeros([vocab, channels]);
      embeddingBackward(gpu, ids, dy, dTable);
      runs.push(await dTable.read());
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('survives extreme gradient magnitudes', async () => {
    const gpu = await testGpu();
    const ids = Uint32Array.from([2, 0, 2, 1, 2]);
    const channels = 2;
    const dy = Float32Array.from([1e38, -1e-38, 1e38, 1, -1e38, 3e-39, 1e-30, 1e30, 1e37, 5]);
    const dTable = gpu.zeros([3, channels]);
    embeddingBackward(gpu, gpu.upload(ids, [5], 'u32'), gpu.upload(dy, [5, channels]), dTable);
    // Row 2 sums 1e38 + (-1e38) + 1e37 in position order: no overflow on the way.
    expectClose(await dTable.read(), embeddingBackwardCpu(ids, dy, new Float64Array(6), channels), { atol: 1e-44, rtol: 1e-6 }, 'dTable extreme');
  });
});
