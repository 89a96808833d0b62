import { describe, expect, it } from 'vitest';
import { ropeBackward, ropeBackwardCpu, ropeForward, ropeForwardCpu, ropeInvFreq, ropePositionIds } from '../../src/ops/rope';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

// f32 rotation of values |x| ≤ 2: a few ulps of the inputs plus sin/cos error after reduction.
const TOL = { atol: 2e-6, rtol: 1e-5 };

describe('ropeInvFreq', () => {
  it('is 1/theta^(2i/D) without scaling', () => {
    const inv = ropeInvFreq(8, 10000);
    expectClose(inv, [1, 0.1, 0.01, 0.001], { atol: 0, rtol: 1e-7 }, 'inv_freq');
  });

  it('matches the Hugging Face llama3 formula (Llama 3.2 1B: D=64, theta=5e5, factor 32)', () => {
    const inv = ropeInvFreq(64, 500000, { ropeType: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    // Golden values from transformers' _compute_llama3_parameters evaluated in numpy float64:
    // index 14 is a kept high frequency, 15..17 are blended, 18 and 31 are divided by the factor.
    const golden: [number, number][] = [
      [0, 1.0],
      [14, 0.0032114461064338684],
      [15, 0.0012905478943139315],
      [16, 0.00042955679236911237],
      [17, 9.708287689136341e-5],
      [18, 1.9461638657958247e-5],
      [31, 9.418306490260875e-8],
    ];
    expectClose(golden.map(([i]) => inv[i]), golden.map(([, v]) => v), { atol: 0, rtol: 1e-7 }, 'llama3 inv_freq');
  });

  it('rejects an odd head size', () => {
    expect(() => ropeInvFreq(7, 10000)).toThrow(/ropeInvFreq: head size D must be a positive even integer, got 7/);
  });
});

describe('ropePositionIds', () => {
  it('numbers real tokens from each row offset like cumsum(mask) - 1, padding gets 0', () => {
    const mask = [0, 0, 1, 1, 1, 1, 1, 1, 0, 0];
    expect([...ropePositionIds(2, 5, mask)]).toEqual([0, 0, 0, 1, 2, 0, 1, 2, 0, 0]);
    expect([...ropePositionIds(2, 2, undefined, [3, 7])]).toEqual([3, 4, 7, 8]);
  });
});

describe('rope forward', () => {
  // (B, T, nHeads, D)
  it.each([
    [1, 1, 1, 2],
    [2, 5, 3, 8],
    [3, 13, 2, 16],
    [1, 7, 5, 64],
  ])('matches the CPU reference for B=%i T=%i heads=%i D=%i', async (B, T, nHeads, D) => {
    const gpu = await testGpu();
    const rng = new Rng(B * 1000 + T * 10 + D);
    const x = rng.uniformArray(B * T * nHeads * D, -2, 2);
    const invFreq = ropeInvFreq(D, 10000);
    const positions = Uint32Array.from({ length: B * T }, () => rng.int(300));
    const y = ropeForward(gpu, gpu.upload(x, [B, T, nHeads, D]), gpu.upload(invFreq, [D / 2]), gpu.upload(positions, [B, T], 'u32'), nHeads);
    expectClose(await y.read(), ropeForwardCpu(x, invFreq, positions, nHeads), TOL, 'rope');
  });

  it('rotates in place and applies the position offset', async () => {
    const gpu = await testGpu();
    const [B, T, nHeads, D] = [2, 3, 2, 8];
    const rng = new Rng(11);
    const x = rng.uniformArray(B * T * nHeads * D, -2, 2);
    const invFreq = ropeInvFreq(D, 10000);
    const positions = ropePositionIds(B, T, [0, 1, 1, 1, 1, 1]);
    const xt = gpu.upload(x, [B * T, nHeads * D]);
    const y = ropeForward(gpu, xt, gpu.upload(invFreq, [D / 2]), gpu.upload(positions, [B, T], 'u32'), nHeads, { out: xt, offset: 5 });
    expect(y).toBe(xt);
    expectClose(await xt.read(), ropeForwardCpu(x, invFreq, positions, nHeads, 5), TOL, 'rope in place');
  });

  it('stays accurate at large positions (angles of ~1e5 rad), Llama-3 scaled frequencies', async () => {
    const gpu = await testGpu();
    const [B, T, nHeads, D] = [1, 9, 2, 64];
    const rng = new Rng(5);
    const x = rng.uniformArray(B * T * nHeads * D, -2, 2);
    const invFreq = ropeInvFreq(D, 500000, { ropeType: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    const positions = Uint32Array.from([0, 1, 4095, 8191, 8192, 32767, 65535, 100003, 131071]);
    const y = ropeForward(gpu, gpu.upload(x, [B, T, nHeads, D]), gpu.upload(invFreq, [D / 2]), gpu.upload(positions, [B, T], 'u32'), nHeads);
    expectClose(await y.read(), ropeForwardCpu(x, invFreq, positions, nHeads), TOL, 'rope large positions');
  });

  it('rejects x whose size does not match positions × heads × D', async () => {
    const gpu = await testGpu();
    expect(() => ropeForward(gpu, gpu.zeros([2, 3, 4, 8]), gpu.zeros([4]), gpu.zeros([2, 2], 'u32'), 4)).toThrow(
      /ropeForward: x\[2, 3, 4, 8\] must hold positions\[2, 2\] tokens × nHeads 4 × D 8/,
    );
  });
});

describe('rope backward', () => {
  it('CPU backward matches finite differences of the CPU forward', () => {
    const [tokens, nHeads, D] = [3, 2, 4];
    const rng = new Rng(21);
    const x = rng.uniformArray(tokens * nHeads * D, -1, 1);
    const dy = rng.uniformArray(x.length, -1, 1);
    const invFreq = ropeInvFreq(D, 100);
    const positions = [0, 3, 17];
    const numeric = numericGradient((xs) => ropeForwardCpu(xs, invFreq, positions, nHeads, 2), x, dy);
    expectClose(ropeBackwardCpu(dy, invFreq, positions, nHeads, 2), numeric, { atol: 1e-8, rtol: 1e-6 }, 'rope dx');
  });

  it('GPU backward matches the CPU backward, out of place and in place', async () => {
    const gpu = await testGpu();
    const [B, T, nHeads, D] = [2, 11, 3, 16];
    const rng = new Rng(31);
    const dy = rng.uniformArray(B * T * nHeads * D, -2, 2);
    const invFreq = ropeInvFreq(D, 10000);
    const positions = Uint32Array.from({ length: B * T }, () => rng.int(5000));
    const invFreqT = gpu.upload(invFreq, [D / 2]);
    const positionsT = gpu.upload(positions, [B, T], 'u32');
    const expected = ropeBackwardCpu(dy, invFreq, positions, nHeads, 1);
    const dx = ropeBackward(gpu, gpu.upload(dy, [B, T, nHeads, D]), invFreqT, positionsT, nHeads, { offset: 1 });
    expectClose(await dx.read(), expected, TOL, 'rope dx');
    const inPlace = gpu.upload(dy, [B, T, nHeads, D]);
    ropeBackward(gpu, inPlace, invFreqT, positionsT, nHeads, { offset: 1, out: inPlace });
    expectClose(await inPlace.read(), expected, TOL, 'rope dx in place');
  });
});
