import { describe, expect, it } from 'vitest';
import {
  dropoutApplyMask,
  dropoutBackward,
  dropoutBackwardAccumulate,
  dropoutBackwardCpu,
  dropoutDrawMask,
  dropoutForward,
  dropoutForwardCpu,
  dropoutForwardMasked,
  dropoutMaskCpu,
  dropoutMaskRowsCpu,
  philox4x32,
} from '../../src/ops/dropout';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

const TOL = { atol: 0, rtol: 1e-6 }; // the GPU scales by 1/(1−p) rounded to f32

/** Values that are never zero, so a zero output marks a dropped element. */
function nonZero(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5));
}

function keptMask(y: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: y.length }, (_, i) => (y[i] !== 0 ? 1 : 0));
}

function count(mask: Uint8Array): number {
  return mask.reduce((s, v) => s + v, 0);
}

describe('philox4x32-10', () => {
  // Random123's tests/kat_vectors: counter (4 words), key (2 words) → output (4 words).
  it.each([
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
    [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
  ])('matches the Random123 known-answer vector %#', (counter, key, expected) => {
    expect(Array.from(philox4x32(counter, key))).toEqual(expected);
  });
});

describe('dropout forward', () => {
  // [n, p, seed, offset]: n of 1, below and across one Philox group of 4, primes.
  it.each([
    [1, 0.5, 1, 0],
    [3, 0.3, 2, 0],
    [5, 0.5, 3, 7],
    [1031, 0.1, 123456789, 42],
    [10007, 0.5, 0xffffffff, 0xfffffffe],
  ])('draws exactly the CPU mask for n=%i p=%f seed=%i offset=%i', async (n, p, seed, offset) => {
    const gpu = await testGpu();
    const x = nonZero(new Rng(n), n);
    const y = await dropoutForward(gpu, gpu.upload(x, [n]), p, seed, offset).read();
    expect(keptMask(y)).toEqual(dropoutMaskCpu(n, p, seed, offset));
    expectClose(y, dropoutForwardCpu(x, p, seed, offset), TOL, 'y');
  });

  it('reproduces every bit of the Philox words on the GPU (threshold probes)', async () => {
    // An element is kept iff word >= round(p·2³²): p = word/2³² keeps it, p = (word+1)/2³² drops
    // it, which pins the GPU's word to the CPU's exactly.
    const gpu = await testGpu();
    const n = 23;
    const [seed, offset] = [0xdeadbeef, 99];
    const x = gpu.upload(new Float32Array(n).fill(1), [n]);
    for (const i of [0, 1, 2, 3, 6, 21]) {
      const word = philox4x32([Math.floor(i / 4), offset, 0, 0], [seed, 0])[i % 4];
      if (word === 0 || word === 0xffffffff) continue; // p would be 0 or 1
      const atWord = await dropoutForward(gpu, x, word / 2 ** 32, seed, offset).read();
      const aboveWord = await dropoutForward(gpu, x, (word + 1) / 2 ** 32, seed, offset).read();
      expect([i, atWord[i] !== 0, aboveWord[i] !== 0]).toEqual([i, true, false]);
    }
  });

  it.each([0.1, 0.5, 0.9])('keeps 1−p of 10,007 elements within 5σ for p=%f', async (p) => {
    const gpu = await testGpu();
    const n = 10007;
    const x = gpu.upload(new Float32Array(n).fill(1), [n]);
    const kept = count(keptMask(await dropoutForward(gpu, x, p, 2024, 1).read()));
    const sigma = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sigma);
  });

  it('gives independent masks for other offsets and seeds', async () => {
    const gpu = await testGpu();
    const n = 10007;
    const p = 0.5;
    const x = gpu.upload(new Float32Array(n).fill(1), [n]);
    const base = keptMask(await dropoutForward(gpu, x, p, 7, 0).read());
    for (const [seed, offset] of [[7, 1], [8, 0]]) {
      const other = keptMask(await dropoutForward(gpu, x, p, seed, offset).read());
      // Independent masks agree with probability p² + (1−p)² = 0.5.
      const agree = base.reduce((s, v, i) => s + (v === other[i] ? 1 : 0), 0);
      expect(Math.abs(agree - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    }
  });

  it('is the exact identity for p=0, extreme and subnormal values included', async () => {
    const gpu = await testGpu();
    const x = Float32Array.from([3.4e38, -3.4e38, 1e-45, -1e-40, 0, -0, 1.5, Infinity]);
    const y = await dropoutForward(gpu, gpu.upload(x, [x.length]), 0, 5, 3).read();
    expect(y).toEqual(x);
  });

  it('scales extreme magnitudes without overflow for p=0.1', async () => {
    const gpu = await testGpu();
    const n = 64;
    const rng = new Rng(12);
    // Normal f32 magnitudes only: GPUs may flush subnormals, which is not what this checks.
    const x = nonZero(rng, n).map((v, i) => v * (i % 2 ? 2e38 : 1e-37));
    const y = await dropoutForward(gpu, gpu.upload(x, [n]), 0.1, 77, 0).read();
    expectClose(y, dropoutForwardCpu(x, 0.1, 77, 0), TOL, 'y extreme');
  });

  it('rejects bad p, seed, offset and dtype, naming the op', async () => {
    const gpu = await testGpu();
    const x = gpu.zeros([4]);
    expect(() => dropoutForward(gpu, x, 1, 0)).toThrow(/dropoutForward: p must be in \[0, 1\), got 1/);
    expect(() => dropoutForward(gpu, x, Number.NaN, 0)).toThrow(/dropoutForward: p must be in \[0, 1\)/);
    expect(() => dropoutForward(gpu, x, 0.5, 1.5)).toThrow(/dropoutForward: seed must be an integer in \[0, 2\^32\), got 1.5/);
    expect(() => dropoutBackward(gpu, x, 0.5, 0, -1)).toThrow(/dropoutBackward: offset must be an integer/);
    expect(() => dropoutForward(gpu, gpu.zeros([4], 'u32'), 0.5, 0)).toThrow(/dropoutForward: x must be f32, got u32/);
  });
});

describe('dropout backward', () => {
  it('CPU backward matches finite differences of the CPU forward', () => {
    const rng = new Rng(3);
    const n = 11;
    const x = Float64Array.from(rng.normalArray(n));
    const dy = Float64Array.from(rng.normalArray(n));
    const numeric = numericGradient((v) => dropoutForwardCpu(v, 0.4, 9, 2), x, dy);
    expectClose(dropoutBackwardCpu(dy, 0.4, 9, 2), numeric, { atol: 1e-8, rtol: 1e-7 }, 'dx vs finite differences');
  });

  it.each([
    [1, 0.5],
    [7, 0.25],
    [2053, 0.1],
  ])('regenerates the forward mask and matches the CPU reference for n=%i p=%f', async (n, p) => {
    const gpu = await testGpu();
    const rng = new Rng(n + 1);
    const x = nonZero(rng, n);
    const dy = nonZero(rng, n);
    const [seed, offset] = [31337, 5];
    const y = await dropoutForward(gpu, gpu.upload(x, [n]), p, seed, offset).read();
    const dx = await dropoutBackward(gpu, gpu.upload(dy, [n]), p, seed, offset).read();
    expect(keptMask(dx)).toEqual(keptMask(y));
    expectClose(dx, dropoutBackwardCpu(dy, p, seed, offset), TOL, 'dx');
  });
});

describe('dropout with a mask drawn once', () => {
  // [n, p, seed, offset]: n of 1 and 3, across one mask word of 32 (31, 33), primes, a big one.
  it.each([
    [1, 0.5, 1, 0],
    [3, 0.3, 2, 5],
    [31, 0.05, 7, 3],
    [33, 0.5, 8, 9],
    [1031, 0.1, 123456789, 42],
    [4096 + 13, 0.05, 99, 27],
  ])('n=%i p=%f: the same y as dropoutForward bit for bit, the CPU mask, and its re-use', async (n, p, seed, offset) => {
    const gpu = await testGpu();
    const rng = new Rng(n + offset);
    const x = nonZero(rng, n);
    const dy = nonZero(rng, n);
    const dx0 = rng.uniformArray(n, -2, 2);
    const xT = gpu.upload(x, [n]);
    const { y, mask } = dropoutForwardMasked(gpu, xT, p, seed, offset);
    const yBits = await y.read();
    expect(Array.from(yBits)).toEqual(Array.from(await dropoutForward(gpu, xT, p, seed, offset).read()));
    const words = await mask.read();
    const cpuMask = dropoutMaskCpu(n, p, seed, offset);
    expect(Array.from({ length: n }, (_, i) => (words[i >> 5] >>> (i & 31)) & 1)).toEqual(Array.from(cpuMask));
    // Drawn alone (no y), for a matmul that applies it as it reads: the same words.
    expect(Array.from(await dropoutDrawMask(gpu, n, p, seed, offset).read())).toEqual(Array.from(words));
    // Re-applied to x: the forward's y again, drawing nothing.
    expect(Array.from(await dropoutApplyMask(gpu, xT, mask, p).read())).toEqual(Array.from(yBits));
    // The backward added into dx: dx0 + dy·keep/(1−p), bit for bit what dropoutBackward then an add give.
    const dx = gpu.upload(dx0, [n]);
    dropoutBackwardAccumulate(gpu, gpu.upload(dy, [n]), mask, p, dx);
    const separate = await dropoutBackward(gpu, gpu.upload(dy, [n]), p, seed, offset).read();
    const got = await dx.read();
    expect(Array.from(got)).toEqual(Array.from(dx0, (v, i) => Math.fround(v + separate[i])));
    const ref = dropoutBackwardCpu(dy, p, seed, offset).map((v, i) => v + dx0[i]);
    expectClose(got, ref, { atol: 1e-6, rtol: 1e-6 }, 'dx');
  });

  it('rejects a mask of the wrong size and p = 0, naming the op', async () => {
    const gpu = await testGpu();
    const x = gpu.zeros([40]);
    const { mask } = dropoutForwardMasked(gpu, x, 0.5, 1, 0);
    expect(() => dropoutApplyMask(gpu, gpu.zeros([70]), mask, 0.5)).toThrow(/dropoutApplyMask: mask\[2\] does not hold 70 elements' bits/);
    expect(() => dropoutForwardMasked(gpu, x, 0, 1, 0)).toThrow(/dropoutForwardMasked: p = 0 draws no mask/);
    expect(() => dropoutDrawMask(gpu, 40, 0, 1, 0)).toThrow(/dropoutDrawMask: p = 0 draws no mask/);
    expect(() => dropoutDrawMask(gpu, 2.5, 0.5, 1, 0)).toThrow(/dropoutDrawMask: elements must be an integer/);
    expect(() => dropoutBackwardAccumulate(gpu, x, mask, 0.5, gpu.zeros([41]))).toThrow(/dropoutBackwardAccumulate: out\[41\] must have the size of \[40\]/);
  });
});

describe('a mask drawn for another row layout', () => {
  const bitsOf = (words: ArrayLike<number>, n: number) => Array.from({ length: n }, (_, i) => (words[i >> 5] >>> (i & 31)) & 1);

  it.each([
    // [width, row ids]: identity; rows gathered from a longer layout (a padding-free batch's
    // tokens at their padded rows), across mask words; one row.
    [12, [0, 1, 2, 3, 4]],
    [8, [0, 1, 2, 5, 6, 10, 11, 12, 13]],
    [344, [3, 0, 7]],
    [4, [9]],
  ])('width %i rows %j: each row gets the bits of its drawn row', async (width, ids) => {
    const gpu = await testGpu();
    const [p, seed, offset] = [0.3, 17, 5];
    const n = width * ids.length;
    const rows = { ids: gpu.upload(Uint32Array.from(ids), [ids.length], 'u32'), width };
    const got = bitsOf(await dropoutDrawMask(gpu, n, p, seed, offset, rows).read(), n);
    const ref = dropoutMaskRowsCpu(n, p, seed, offset, ids, width);
    expect(got).toEqual(Array.from(ref));
    // The reference gathers the plain mask of the drawn layout; identity rows are the plain mask.
    const drawnRows = Math.max(...ids) + 1;
    const plain = bitsOf(await dropoutDrawMask(gpu, drawnRows * width, p, seed, offset).read(), drawnRows * width);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => plain[ids[Math.floor(i / width)] * width + (i % width)]));
    expect(count(Uint8Array.from(got))).toBeGreaterThan(0);
  });

  it('rejects a width that splits a Philox call, or row ids of the wrong count', async () => {
    const gpu = await testGpu();
    const ids = gpu.upload(Uint32Array.from([0, 1]), [2], 'u32');
    expect(() => dropoutDrawMask(gpu, 12, 0.5, 1, 0, { ids, width: 6 })).toThrow(/dropoutDrawMask: rows.width must be a positive multiple of 4/);
    expect(() => dropoutDrawMask(gpu, 24, 0.5, 1, 0, { ids, width: 8 })).toThrow(/dropoutDrawMask: rows.ids\[2\] must hold one row id per 8 of 24 elements/);
  });
});
