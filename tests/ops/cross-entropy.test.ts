import { describe, expect, it } from 'vitest';
import {
  crossEntropyBackwardCpu,
  crossEntropyForward,
  crossEntropyForwardCpu,
  crossEntropyFused,
  IGNORE_TARGET,
  reduceLoss,
  reduceLossCpu,
} from '../../src/ops/cross-entropy';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

const LOSS_TOL = { atol: 2e-5, rtol: 2e-5 };
const GRAD_TOL = { atol: 1e-6, rtol: 1e-4 };

/** Random targets in [0, V) with roughly a quarter ignored (IGNORE_TARGET). */
function randomTargets(rng: Rng, rows: number, vocab: number): Uint32Array {
  return Uint32Array.from({ length: rows }, () => (rng.next() < 0.25 ? IGNORE_TARGET : rng.int(vocab)));
}

function countedRows(targets: Uint32Array): number {
  return targets.filter((t) => t !== IGNORE_TARGET).length;
}

describe('cross-entropy forward', () => {
  // V = 1 (loss 0), primes, V below and above the workgroup size, one row and many rows.
  it.each([
    [1, 1],
    [3, 1],
    [1, 7],
    [5, 13],
    [17, 256],
    [4, 64],
    [3, 96],
    [6, 128],
    [2, 1031],
    [3, 5003],
  ])('matches the CPU reference for N=%i, V=%i', async (rows, vocab) => {
    const gpu = await testGpu();
    const rng = new Rng(rows * 1000 + vocab);
    const logits = rng.uniformArray(rows * vocab, -6, 6);
    const targets = randomTargets(rng, rows, vocab);
    const { losses, logprobs } = crossEntropyForward(gpu, gpu.upload(logits, [rows, vocab]), gpu.upload(targets, [rows], 'u32'));
    const ref = crossEntropyForwardCpu(logits, targets, vocab);
    expectClose(await losses.read(), ref.losses, LOSS_TOL, 'losses');
    expectClose(await logprobs.read(), ref.logprobs, LOSS_TOL, 'logprobs');
  });

  it('stays finite and exact at logits of ±1e4', async () => {
    const gpu = await testGpu();
    const rows = 4;
    const vocab = 300;
    const rng = new Rng(11);
    const logits = Float32Array.from({ length: rows * vocab }, () => (rng.next() < 0.5 ? -1e4 : 1e4) * rng.uniform(0.9, 1));
    logits[1 * vocab + 7] = 1e4; // row 1: the target holds the maximum → loss ≈ 0
    logits[2 * vocab + 9] = -1e4; // row 2: the target is far below the maximum → loss ≈ 2e4
    const targets = Uint32Array.of(0, 7, 9, IGNORE_TARGET);
    const { losses, logprobs } = crossEntropyForward(gpu, gpu.upload(logits, [rows, vocab]), gpu.upload(targets, [rows], 'u32'));
    const ref = crossEntropyForwardCpu(logits, targets, vocab);
    const got = await losses.read();
    expect(Array.from(got).every(Number.isFinite)).toBe(true);
    expectClose(got, ref.losses, { atol: 1e-2, rtol: 1e-6 }, 'losses');
    expectClose(await logprobs.read(), ref.logprobs, { atol: 1e-2, rtol: 1e-6 }, 'logprobs');
  });

  it('ignores HF-style -100 targets in an i32 tensor and gives NaN for out-of-range targets', async () => {
    const gpu = await testGpu();
    const vocab = 9;
    const logits = new Rng(5).uniformArray(3 * vocab, -2, 2);
    const targets = Int32Array.of(-100, 4, 9);
    const { losses } = crossEntropyForward(gpu, gpu.upload(logits, [3, vocab]), gpu.upload(targets, [3], 'i32'));
    const got = await losses.read();
    expect(got[0]).toBe(0);
    expectClose([got[1]], [crossEntropyForwardCpu(logits, targets, vocab).losses[1]], LOSS_TOL, 'counted row');
    expect(Number.isNaN(got[2])).toBe(true);
  });

  it('rejects mismatched targets, naming the op and shapes', async () => {
    const gpu = await testGpu();
    expect(() => crossEntropyForward(gpu, gpu.zeros([4, 10]), gpu.zeros([5], 'u32'))).toThrow(/crossEntropyForward: targets\[5\] must hold one target per logits row \(4 rows of logits\[4, 10\]\)/);
    expect(() => crossEntropyForward(gpu, gpu.zeros([4, 10]), gpu.zeros([4]))).toThrow(/crossEntropyForward: targets must be u32 or i32/);
  });
});

describe('cross-entropy backward', () => {
  it('CPU backward matches central finite differences of Σ losses / normaliser', () => {
    const rows = 3;
    const vocab = 5;
    const rng = new Rng(21);
    const logits = Float64Array.from(rng.uniformArray(rows * vocab, -3, 3));
    const targets = Uint32Array.of(2, IGNORE_TARGET, 0);
    const normaliser = 7; // e.g. the counted tokens of a larger accumulated batch
    const numeric = numericGradient((x) => crossEntropyForwardCpu(x, targets, vocab).losses, logits, new Float64Array(rows).fill(1 / normaliser));
    expectClose(crossEntropyBackwardCpu(logits, targets, vocab, normaliser), numeric, { atol: 1e-8, rtol: 1e-6 }, 'dlogits vs finite differences');
  });

  it.each([
    [1, 1, false],
    [4, 7, false],
    [6, 257, false],
    [5, 1031, true],
    [2, 3001, true],
  ])('fused GPU backward matches the CPU for N=%i, V=%i, inPlace=%s', async (rows, vocab, inPlace) => {
    const gpu = await testGpu();
    const rng = new Rng(rows * 31 + vocab);
    const logits = rng.uniformArray(rows * vocab, -5, 5);
    const targets = randomTargets(rng, rows, vocab);
    targets[0] = rng.int(vocab); // at least one counted row
    const normaliser = countedRows(targets) + 3;
    const logitsGpu = gpu.upload(logits, [rows, vocab]);
    const out = crossEntropyFused(gpu, logitsGpu, gpu.upload(targets, [rows], 'u32'), { normaliser, inPlace });
    if (inPlace) expect(out.dlogits.buffer).toBe(logitsGpu.buffer);
    const ref = crossEntropyForwardCpu(logits, targets, vocab);
    expectClose(await out.losses.read(), ref.losses, LOSS_TOL, 'losses');
    expectClose(await out.logprobs.read(), ref.logprobs, LOSS_TOL, 'logprobs');
    expectClose(await out.dlogits.read(), crossEntropyBackwardCpu(logits, targets, vocab, normaliser), GRAD_TOL, 'dlogits');
  });

  it('handles a Qwen-sized vocabulary (V=151936) given as (B,T,V)', async () => {
    const gpu = await testGpu();
    const vocab = 151_936;
    const rng = new Rng(152);
    const logits = rng.normalArray(3 * vocab, 4);
    const targets = Uint32Array.of(151_935, IGNORE_TARGET, 17);
    const out = crossEntropyFused(gpu, gpu.upload(logits, [1, 3, vocab]), gpu.upload(targets, [1, 3], 'u32'), { normaliser: 2 });
    expectClose(await out.losses.read(), crossEntropyForwardCpu(logits, targets, vocab).losses, LOSS_TOL, 'losses');
    expectClose(await out.dlogits.read(), crossEntropyBackwardCpu(logits, targets, vocab, 2), { atol: 1e-8, rtol: 1e-4 }, 'dlogits');
  });

  it('zeroes the gradient of ignored rows even over garbage (in place)', async () => {
    const gpu = await testGpu();
    const vocab = 300;
    const logits = new Rng(8).uniformArray(2 * vocab, -1e4, 1e4);
    const targets = Uint32Array.of(IGNORE_TARGET, 299);
    const { dlogits } = crossEntropyFused(gpu, gpu.upload(logits, [2, vocab]), gpu.upload(targets, [2], 'u32'), { normaliser: 1, inPlace: true });
    const got = await dlogits.read();
    expect(got.subarray(0, vocab).every((g) => g === 0)).toBe(true);
    expect(Array.from(got).every(Number.isFinite)).toBe(true);
    expectClose(got, crossEntropyBackwardCpu(logits, targets, vocab, 1), { atol: 1e-6, rtol: 1e-5 }, 'extreme dlogits');
  });
});

describe('loss reduction', () => {
  it('averages counted rows on the GPU and counts them', async () => {
    const gpu = await testGpu();
    const rows = 613; // more rows than invocations, not a multiple of them
    const rng = new Rng(99);
    const losses = rng.uniformArray(rows, 0, 10);
    const targets = randomTargets(rng, rows, 50);
    const total = reduceLoss(gpu, gpu.upload(losses, [rows]), gpu.upload(targets, [rows], 'u32'));
    expectClose(await total.read(), reduceLossCpu(losses, targets), { atol: 1e-5, rtol: 1e-5 }, 'mean loss');
  });

  it('accumulated micro-batches give the loss and gradient of one big batch', async () => {
    const gpu = await testGpu();
    const vocab = 37;
    const rows = 10;
    const rng = new Rng(3);
    const logits = rng.uniformArray(rows * vocab, -4, 4);
    const targets = randomTargets(rng, rows, vocab);
    targets[0] = 1;
    const normaliser = countedRows(targets);
    const total = gpu.zeros([2], 'f32', 'total');
    const grads: ArrayLike<number>[] = [];
    for (const [start, end] of [[0, 4], [4, 10]]) {
      const part = crossEntropyFused(gpu, gpu.upload(logits.subarray(start * vocab, end * vocab), [end - start, vocab]), gpu.upload(targets.subarray(start, end), [end - start], 'u32'), { normaliser });
      reduceLoss(gpu, part.losses, gpu.upload(targets.subarray(start, end), [end - start], 'u32'), { normaliser, into: total, accumulate: true });
      grads.push(await part.dlogits.read());
    }
    const whole = crossEntropyForwardCpu(logits, targets, vocab).losses;
    expectClose(await total.read(), reduceLossCpu(whole, targets), { atol: 1e-5, rtol: 1e-5 }, 'accumulated loss');
    const joined = new Float32Array(rows * vocab);
    joined.set(Array.from(grads[0]), 0);
    joined.set(Array.from(grads[1]), 4 * vocab);
    expectClose(joined, crossEntropyBackwardCpu(logits, targets, vocab, normaliser), GRAD_TOL, 'accumulated dlogits');
  });

  it('gives 0, not NaN, when every row is ignored', async () => {
    const gpu = await testGpu();
    const targets = new Uint32Array(5).fill(IGNORE_TARGET);
    const total = reduceLoss(gpu, gpu.zeros([5]), gpu.upload(targets, [5], 'u32'));
    expect(Array.from(await total.read())).toEqual([0, 0]);
  });
});
