import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import {
  matmul,
  matmulCpu,
  matmulDims,
  matmulKernel,
  matmulTolerance,
  registerLayout,
  setMatmulVariant,
  splitKChunks,
  type MatmulKernel,
  type MatmulOptions,
  type MatmulVariant,
} from '../../src/ops/matmul';
import { dropoutBackwardAccumulate, dropoutDrawMask, dropoutForwardCpu, dropoutForwardMasked } from '../../src/ops/dropout';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { testGpu } from '../helpers/gpu';

// Inputs are uniform in [-1, 1]: a dot product of K terms rounds to a few f32 ulps of each term.
const tolFor = matmulTolerance;

type Layout = [transA: boolean, transB: boolean];
const LAYOUTS: Layout[] = [
  [false, true], // NT: x·Wᵀ
  [false, false], // NN: dy·W
  [true, false], // TN: dyᵀ·x
  [true, true],
];

interface Case {
  a: Float32Array;
  aShape: number[];
  b: Float32Array;
  bShape: number[];
}

/** Random operands of a (batch, M, K, N) product; batch 0 means 2-D A, shareB a 2-D B. */
function makeCase(rng: Rng, [batch, M, K, N]: number[], [transA, transB]: Layout, shareB = false): Case {
  const aMat = transA ? [K, M] : [M, K];
  const bMat = transB ? [N, K] : [K, N];
  const aShape = batch ? [batch, ...aMat] : aMat;
  const bShape = batch && !shareB ? [batch, ...bMat] : bMat;
  return { a: rng.uniformArray(aShape.reduce((x, y) => x * y)), aShape, b: rng.uniformArray(bShape.reduce((x, y) => x * y)), bShape };
}

/** Runs one case on the GPU against the CPU reference; returns the kernel it ran on. */
async function check(gpu: Gpu, c: Case, layout: Layout, opts: Omit<MatmulOptions, 'transA' | 'transB' | 'bias' | 'out'> & { bias?: Float32Array; c0?: Float32Array } = {}): Promise<MatmulKernel> {
  const [transA, transB] = layout;
  const d = matmulDims(c.aShape, c.bShape, transA, transB);
  const out = opts.c0 ? gpu.upload(opts.c0, d.outShape) : undefined;
  const bias = opts.bias ? gpu.upload(opts.bias, [d.N]) : undefined;
  const y = matmul(gpu, gpu.upload(c.a, c.aShape), gpu.upload(c.b, c.bShape), { transA, transB, bias, out, alpha: opts.alpha, accumulate: opts.accumulate });
  expect(y.shape).toEqual(d.outShape);
  const ref = matmulCpu(c.a, c.aShape, c.b, c.bShape, { transA, transB, bias: opts.bias, alpha: opts.alpha, accumulate: opts.accumulate, out: opts.c0 });
  const kernel = matmulKernel(gpu, d, transA, transB);
  expectClose(await y.read(), ref, tolFor(d.K), `matmul ${kernel} A${c.aShape}${transA ? 'ᵀ' : ''} B${c.bShape}${transB ? 'ᵀ' : ''}`);
  return kernel;
}

// [batch, M, K, N]: ones, primes, K not a multiple of 4 (on the register tile for TN: the weight
// gradient over a token count), multiples of 4 that are not multiples of the 16×16 tile, several
// tiles with remainders, batches.
const SHAPES = [
  [0, 1, 1, 1],
  [0, 4, 3, 8],
  [0, 8, 5, 4],
  [0, 20, 18, 12],
  [0, 7, 13, 5],
  [0, 13, 37, 7],
  [0, 20, 12, 36],
  [0, 68, 100, 52],
  [3, 17, 8, 33],
  [2, 20, 16, 12],
];

describe.each<MatmulVariant>(['register', 'workgroup'])('matmul, %s variant', (variant) => {
  it.each(LAYOUTS)('transA=%s transB=%s matches the CPU reference on odd and tile-sized shapes', async (transA, transB) => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, variant);
    const rng = new Rng(17 + Number(transA) * 2 + Number(transB));
    const kernels = new Set<MatmulKernel>();
    for (const shape of SHAPES) kernels.add(await check(gpu, makeCase(rng, shape, [transA, transB]), [transA, transB]));
    // A shared 2-D B (one weight for every batch entry), as in a linear layer.
    kernels.add(await check(gpu, makeCase(rng, [3, 20, 24, 20], [transA, transB], true), [transA, transB]));
    kernels.add(await check(gpu, makeCase(rng, [2, 9, 11, 6], [transA, transB], true), [transA, transB]));
    // The fast kernel must be among those checked, not only the fallbacks.
    expect(kernels).toContain(variant);
  });

  // LoRA's narrow products (rank 16: N or K = 16), and N or K = 1 or 3, against rows spanning
  // several tiles; a C with few tile columns runs with the workgroup's threads along M. The shapes
  // give the register tile each of its four thread layouts (8, 4, 2 and 1 threads along N).
  it.each(LAYOUTS)('transA=%s transB=%s matches the CPU reference on narrow shapes (N or K = 16, 1, 3)', async (transA, transB) => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, variant);
    const rng = new Rng(29 + Number(transA) * 2 + Number(transB));
    const kernels = new Set<MatmulKernel>();
    const threadsAlongN = new Set<number>();
    for (const shape of [
      [0, 32, 20, 64],
      [0, 68, 36, 16],
      [0, 68, 16, 36],
      [0, 36, 68, 16],
      [0, 16, 68, 36],
      [0, 132, 16, 32],
      [2, 33, 20, 16],
      [0, 68, 36, 1],
      [0, 68, 1, 36],
      [0, 68, 36, 3],
      [0, 68, 3, 36],
    ]) {
      kernels.add(await check(gpu, makeCase(rng, shape, [transA, transB]), [transA, transB]));
      const [, M, K, N] = shape;
      threadsAlongN.add(registerLayout(matmulDims(transA ? [K, M] : [M, K], transB ? [N, K] : [K, N], transA, transB)).WG_X);
    }
    expect(kernels).toContain(variant);
    expect([...threadsAlongN].sort()).toEqual([1, 2, 4, 8]);
    await check(gpu, makeCase(rng, [0, 68, 36, 16], [transA, transB]), [transA, transB], { accumulate: true, c0: rng.uniformArray(68 * 16, -3, 3), alpha: 2 });
  });

  it('applies bias, alpha and accumulate, alone and together', async () => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, variant);
    const rng = new Rng(5);
    for (const [shape, layout] of [
      [[0, 20, 12, 36], [false, true]], // register tile
      [[2, 7, 13, 5], [false, false]], // odd sizes
      [[2, 12, 7, 8], [true, false]], // TN with a K remainder: two dispatches
      [[0, 2, 8, 19], [false, true]], // gemv
    ] as [number[], Layout][]) {
      const c = makeCase(rng, shape, layout);
      const n = shape[3];
      const size = Math.max(shape[0], 1) * shape[1] * n;
      await check(gpu, c, layout, { bias: rng.uniformArray(n, -2, 2) });
      await check(gpu, c, layout, { alpha: -0.375 });
      await check(gpu, c, layout, { accumulate: true, c0: rng.uniformArray(size, -3, 3) });
      await check(gpu, c, layout, { accumulate: true, c0: rng.uniformArray(size, -3, 3), alpha: 2.5, bias: rng.uniformArray(n) });
    }
  });
});

// A kept dropout mask applied inside the matmul (LoRA's input dropout): to A, to B, or to the
// product as it is added into C. Checked against the CPU reference (f64 dropout, then matmul) and
// bit for bit against dropping first with the dropout op (or dropping the product and adding after).
describe.each<MatmulVariant>(['register', 'workgroup'])('matmul with a dropout mask, %s variant', (variant) => {
  const P = 0.3;
  it.each(LAYOUTS)('transA=%s transB=%s on odd and narrow shapes (N or K = 16, 1, 3)', async (transA, transB) => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, variant);
    const layout: Layout = [transA, transB];
    const rng = new Rng(41 + Number(transA) * 2 + Number(transB));
    const kernels = new Set<MatmulKernel>();
    let seed = 1;
    // [batch, M, K, N]: several tiles with a remainder, N or K = 16, 1, 3, odd, batched.
    for (const shape of [
      [0, 68, 36, 16],
      [0, 20, 16, 36],
      [0, 20, 36, 1],
      [0, 20, 1, 12],
      [0, 20, 12, 3],
      [0, 20, 3, 12],
      [0, 7, 13, 5],
      [2, 17, 8, 12],
    ]) {
      const c = makeCase(rng, shape, layout);
      const d = matmulDims(c.aShape, c.bShape, transA, transB);
      const A = gpu.upload(c.a, c.aShape);
      const B = gpu.upload(c.b, c.bShape);
      const c0 = rng.uniformArray(d.batch * d.M * d.N, -2, 2);
      const opts = { transA, transB, alpha: 1.5 };
      const label = `A${c.aShape}${transA ? 'ᵀ' : ''} B${c.bShape}${transB ? 'ᵀ' : ''}`;
      kernels.add(matmulKernel(gpu, d, transA, transB, true));
      // On an operand: the same as the operand dropped by the dropout op, then multiplied.
      for (const on of ['a', 'b'] as const) {
        const [operand, shapeOf] = on === 'a' ? [A, c.aShape] : [B, c.bShape];
        const offset = seed++;
        const { y: droppedOperand, mask } = dropoutForwardMasked(gpu, operand, P, 7, offset);
        const fused = await matmul(gpu, A, B, { ...opts, dropout: { mask, p: P, on } }).read();
        const separate = await matmul(gpu, on === 'a' ? droppedOperand : A, on === 'b' ? droppedOperand : B, opts).read();
        if (matmulKernel(gpu, d, transA, transB) === matmulKernel(gpu, d, transA, transB, true)) expect(Array.from(fused), `${on} ${label}`).toEqual(Array.from(separate));
        const droppedCpu = dropoutForwardCpu(on === 'a' ? c.a : c.b, P, 7, offset);
        const ref = matmulCpu(on === 'a' ? droppedCpu : c.a, c.aShape, on === 'b' ? droppedCpu : c.b, c.bShape, opts);
        expectClose(fused, ref, { atol: tolFor(d.K).atol * 4, rtol: 1e-6 }, `dropout on ${on} ${label} (${shapeOf})`);
      }
      // On the product, added into C: C0 + drop(alpha·op(A)·op(B)), the LoRA branch's dx.
      const offset = seed++;
      const mask = dropoutDrawMask(gpu, d.batch * d.M * d.N, P, 7, offset);
      const out = gpu.upload(c0, d.outShape);
      const fused = await matmul(gpu, A, B, { ...opts, accumulate: true, out, dropout: { mask, p: P, on: 'product' } }).read();
      const separate = gpu.upload(c0, d.outShape);
      dropoutBackwardAccumulate(gpu, matmul(gpu, A, B, opts), mask, P, separate);
      const oneDispatch = !(variant === 'register' && transA && !transB && d.K % 4 !== 0); // the TN K remainder adds a second part
      if (oneDispatch) expect(Array.from(fused), `product ${label}`).toEqual(Array.from(await separate.read()));
      const product = dropoutForwardCpu(matmulCpu(c.a, c.aShape, c.b, c.bShape, opts), P, 7, offset);
      expectClose(fused, product.map((v, i) => v + c0[i]), { atol: tolFor(d.K).atol * 4, rtol: 1e-6 }, `dropout on the product ${label}`);
    }
    expect(kernels).toContain(variant);
  });
});

// Split-K (register tile, TN, a C of few workgroups over a long K: LoRA's dA and dB): the chunks'
// products summed in a second dispatch, with the rows past the last whole chunk added by
// matmul_simple; alpha, accumulate and a dropout mask on either operand as in one pass.
describe('matmul split along K (register variant)', () => {
  it('matches the CPU reference for LoRA-shaped TN products, with a K remainder, alpha, accumulate and dropout', async () => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, 'register');
    const rng = new Rng(77);
    const P = 0.2;
    const layout: Layout = [true, false];
    // [M, K, N]: dA (16×128), dB (128×16), the FFN's (16×344, 344×16), K remainders of 1 and 6 rows, K = 256 (2 chunks).
    const shapes = [[16, 1024, 128], [128, 1024, 16], [16, 1030, 344], [344, 1001, 16], [16, 257, 16], [16, 256, 16]];
    for (const [M, K, N] of shapes) {
      const c = makeCase(rng, [0, M, K, N], layout);
      const d = matmulDims(c.aShape, c.bShape, true, false);
      expect(splitKChunks(d), `M${M} K${K} N${N} is split`).toBeGreaterThan(1);
      await check(gpu, c, layout, { alpha: 1.5 });
      await check(gpu, c, layout, { accumulate: true, c0: rng.uniformArray(M * N, -3, 3), alpha: -0.5 });
      const A = gpu.upload(c.a, c.aShape);
      const B = gpu.upload(c.b, c.bShape);
      for (const on of ['a', 'b'] as const) {
        const size = on === 'a' ? c.a.length : c.b.length;
        const mask = dropoutDrawMask(gpu, size, P, 3, K + M);
        const c0 = rng.uniformArray(M * N, -1, 1);
        const got = await matmul(gpu, A, B, { transA: true, alpha: 2, accumulate: true, out: gpu.upload(c0, [M, N]), dropout: { mask, p: P, on } }).read();
        const dropped = dropoutForwardCpu(on === 'a' ? c.a : c.b, P, 3, K + M);
        const ref = matmulCpu(on === 'a' ? dropped : c.a, c.aShape, on === 'b' ? dropped : c.b, c.bShape, { transA: true, alpha: 2, accumulate: true, out: c0 });
        expectClose(got, ref, { atol: tolFor(K).atol * 4, rtol: 1e-6 }, `split-K M${M} K${K} N${N}, dropout on ${on}`);
      }
    }
    // Products that fill enough workgroups, or whose K is short, stay in one pass.
    expect(splitKChunks(matmulDims([1024, 128], [1024, 128], true, false))).toBe(1); // a full fine-tuning dW: 8 workgroups
    expect(splitKChunks(matmulDims([200, 16], [200, 128], true, false))).toBe(1); // K < 2 chunks
  });
});

// A second operand pair appended along K, stored as B is, against the CPU reference of the two
// products added: a LoRA forward y = [x | s·u]·[W | B]ᵀ + b (NT) and its input gradient
// dx (+)= dy·W + drop⁻¹(s·dy·B)·A (NN), with bias, accumulate, a dropout mask on A, and a mask over
// C that scales the pair's product alone.
describe.each<MatmulVariant>(['register', 'workgroup'])('matmul with a second pair along K, %s variant', (variant) => {
  it.each<[string, Layout]>([
    ['NT', [false, true]],
    ['NN', [false, false]],
  ])('matches alpha·(op(A)·op(B) + s·A2·op(B2)) on %s, odd and narrow shapes (N, K or K2 = 16, 1, 3)', async (_name, layout) => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, variant);
    const rng = new Rng(53);
    const transB = layout[1];
    // [M, K, N, K2]
    for (const [M, K, N, K2] of [
      [68, 36, 16, 16],
      [68, 16, 36, 16],
      [33, 128, 20, 16],
      [68, 36, 1, 16],
      [68, 36, 3, 4],
      [68, 36, 12, 3],
      [68, 36, 12, 1],
      [7, 13, 5, 3],
      [2, 16, 12, 8],
    ]) {
      const c = makeCase(rng, [0, M, K, N], layout);
      const a2 = rng.uniformArray(M * K2);
      const b2Shape = transB ? [N, K2] : [K2, N];
      const b2 = rng.uniformArray(N * K2);
      const bias = rng.uniformArray(N);
      const c0 = rng.uniformArray(M * N, -2, 2);
      const A = gpu.upload(c.a, c.aShape);
      const B = gpu.upload(c.b, c.bShape);
      const extra = { a: gpu.upload(a2, [M, K2]), b: gpu.upload(b2, b2Shape), scale: 2 };
      const second = matmulCpu(a2, [M, K2], b2, b2Shape, { transB, alpha: 2 * 0.75 });
      const tol = { atol: tolFor(K + K2).atol * 2, rtol: 1e-6 };
      const label = `M${M} K${K} N${N} K2 ${K2}`;
      const y = await matmul(gpu, A, B, { transB, alpha: 0.75, bias: gpu.upload(bias, [N]), extra }).read();
      const first = matmulCpu(c.a, c.aShape, c.b, c.bShape, { transB, alpha: 0.75, bias });
      expectClose(y, first.map((v, i) => v + second[i]), tol, `extra ${label}`);
      const firstAcc = matmulCpu(c.a, c.aShape, c.b, c.bShape, { transB, alpha: 0.75, accumulate: true, out: c0 });
      const acc = await matmul(gpu, A, B, { transB, alpha: 0.75, accumulate: true, out: gpu.upload(c0, [M, N]), extra }).read();
      expectClose(acc, firstAcc.map((v, i) => v + second[i]), tol, `extra accumulated ${label}`);
      // With LoRA's dropout on A (x): the mask touches only the first pair.
      const { y: dropped, mask } = dropoutForwardMasked(gpu, A, 0.3, 3, M);
      const yd = await matmul(gpu, A, B, { transB, alpha: 0.75, extra, dropout: { mask, p: 0.3, on: 'a' } }).read();
      const firstDropped = matmulCpu(await dropped.read(), c.aShape, c.b, c.bShape, { transB, alpha: 0.75 });
      expectClose(yd, firstDropped.map((v, i) => v + second[i]), tol, `extra with dropout on A ${label}`);
      // A mask over C's elements scaling the pair's product alone, accumulated (the mask drops some
      // of them, so this differs from the unmasked sum above).
      const cMask = dropoutDrawMask(gpu, M * N, 0.3, 7, 11);
      const keep = dropoutForwardCpu(new Float32Array(M * N).fill(1), 0.3, 7, 11);
      expect(keep.some((k) => k === 0)).toBe(true);
      const masked = await matmul(gpu, A, B, { transB, alpha: 0.75, accumulate: true, out: gpu.upload(c0, [M, N]), extra, dropout: { mask: cMask, p: 0.3, on: 'extra' } }).read();
      expectClose(masked, firstAcc.map((v, i) => v + keep[i] * second[i]), tol, `extra masked on C, accumulated ${label}`);
    }
  });
});

describe('matmul', () => {
  it('runs few-row x·Wᵀ (decoding) on the GEMV kernel, batched and with a shared weight', async () => {
    const gpu = await testGpu();
    setMatmulVariant(gpu, 'register');
    const rng = new Rng(9);
    const nt: Layout = [false, true];
    for (const shape of [[0, 1, 4, 1], [0, 1, 20, 37], [0, 2, 36, 9], [3, 1, 12, 17]]) {
      expect(await check(gpu, makeCase(rng, shape, nt), nt)).toBe('gemv');
    }
    expect(await check(gpu, makeCase(rng, [4, 2, 16, 23], nt, true), nt)).toBe('gemv');
  });

  it('keeps precision at extreme magnitudes', async () => {
    const gpu = await testGpu();
    const rng = new Rng(11);
    for (const variant of ['register', 'workgroup'] as const) {
      setMatmulVariant(gpu, variant);
      const [M, K, N] = [17, 24, 20];
      // Products near 1e36 (f32 max is 3.4e38) mixed with terms near 1e-36; sums of K terms stay finite.
      const a = Float32Array.from(rng.uniformArray(M * K), (v, i) => v * (i % 3 ? 1e18 : 1e-18));
      const b = Float32Array.from(rng.uniformArray(K * N), (v, i) => v * (i % 5 ? 1e18 : 1e-18));
      const y = matmul(gpu, gpu.upload(a, [M, K]), gpu.upload(b, [N, K]), { transB: true });
      const tol = { atol: 4e-7 * K * 1e36, rtol: 1e-6 };
      expectClose(await y.read(), matmulCpu(a, [M, K], b, [N, K], { transB: true }), tol, `extreme ${variant}`);
    }
  });

  it('rejects mismatched shapes and options, naming the op and the shapes', async () => {
    const gpu = await testGpu();
    const a = gpu.zeros([2, 3, 4]);
    expect(() => matmul(gpu, a, gpu.zeros([5, 6]))).toThrow(/matmul: inner dimensions differ \(K=4 from A, 5 from B\): A\[2, 3, 4\], B\[5, 6\]/);
    expect(() => matmul(gpu, a, gpu.zeros([3, 4, 6]))).toThrow(/matmul: batch sizes differ: A\[2, 3, 4\], B\[3, 4, 6\]/);
    expect(() => matmul(gpu, gpu.zeros([4]), gpu.zeros([4, 6]))).toThrow(/matmul: A must be 2-D or 3-D/);
    expect(() => matmul(gpu, a, gpu.zeros([4, 6]), { bias: gpu.zeros([5]) })).toThrow(/matmul: bias must be \[6\], got \[5\]/);
    expect(() => matmul(gpu, a, gpu.zeros([4, 6]), { accumulate: true })).toThrow(/matmul: accumulate needs an output tensor/);
    expect(() => matmul(gpu, a, gpu.zeros([4, 6]), { out: gpu.zeros([2, 3, 5]) })).toThrow(/matmul: out must be \[2, 3, 6\], got \[2, 3, 5\]/);
    expect(() => matmul(gpu, a, gpu.zeros([4, 6]), { out: a.view([2, 3, 4]) })).toThrow(/matmul: out must be/);
    const square = gpu.zeros([4, 4]);
    expect(() => matmul(gpu, square, gpu.zeros([4, 4]), { out: square })).toThrow(/matmul: out .* shares its buffer with an input/);
    expect(() => matmul(gpu, a, gpu.zeros([4, 6], 'u32'))).toThrow(/matmul: b must be f32, got u32/);
    const b = gpu.zeros([4, 6]);
    const mask = gpu.zeros([1], 'u32');
    expect(() => matmul(gpu, a, b, { dropout: { mask, p: 0, on: 'a' } })).toThrow(/matmul: dropout p must be in \(0, 1\), got 0/);
    expect(() => matmul(gpu, a, b, { dropout: { mask: gpu.zeros([1]), p: 0.1, on: 'a' } })).toThrow(/matmul: mask must be u32, got f32/);
    expect(() => matmul(gpu, a, b, { dropout: { mask: gpu.zeros([2], 'u32'), p: 0.1, on: 'b' } })).toThrow(/matmul: dropout mask on b must hold 24 bits in 1 u32 words, got mask\[2\]/);
    expect(() => matmul(gpu, a, b, { dropout: { mask, p: 0.1, on: 'product' } })).toThrow(/matmul: dropout mask on product must hold 36 bits in 2 u32 words/);
    const x = gpu.zeros([5, 4]);
    const w = gpu.zeros([6, 4]);
    const extra = { a: gpu.zeros([5, 2]), b: gpu.zeros([6, 2]), scale: 1 };
    expect(() => matmul(gpu, gpu.zeros([4, 5]), w, { transA: true, transB: true, extra })).toThrow(/matmul: extra needs 2-D operands and not transA/);
    expect(() => matmul(gpu, x, w, { transB: true, extra: { ...extra, b: gpu.zeros([6, 3]) } })).toThrow(/matmul: extra must be A2 \(M=5, K2\) and B2 \(N=6, K2\), got A2\[5, 2\], B2\[6, 3\]/);
    expect(() => matmul(gpu, x, gpu.zeros([4, 6]), { extra })).toThrow(/matmul: extra must be A2 \(M=5, K2\) and B2 \(K2, N=6\), got A2\[5, 2\], B2\[6, 2\]/);
    expect(() => matmul(gpu, x, w, { transB: true, dropout: { mask: gpu.zeros([1], 'u32'), p: 0.1, on: 'extra' } })).toThrow(/matmul: a dropout mask on 'extra' needs a second pair/);
    expect(() => matmul(gpu, x, w, { transB: true, extra, dropout: { mask: gpu.zeros([1], 'u32'), p: 0.1, on: 'product' } })).toThrow(/matmul: extra and a dropout mask on the product cannot be combined/);
  });
});
