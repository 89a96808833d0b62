import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Tensor } from '../../src/gpu/tensor';
import {
  attentionBackward,
  attentionBackwardCpu,
  attentionDecode,
  setAttentionDecodeVariant,
  setAttentionRowVariant,
  attentionForward,
  attentionForwardCpu,
  keyRangesFromMask,
  kvCacheAppend,
  type AttentionShape,
} from '../../src/ops/attention';
import { Rng } from '../../src/util/rng';
import { expectClose, maxAbs } from '../helpers/compare';
import { numericGradient } from '../helpers/finite-diff';
import { testGpu } from '../helpers/gpu';

// f32 dot products of D ≤ 16 terms and a softmax over ≤ 70 keys, values of order 1.
const FWD_TOL = { atol: 2e-6, rtol: 1e-5 };
const BWD_TOL = { atol: 1e-5, rtol: 1e-4 };

// [B, T, S, H, KV, D]
type Case = [number, number, number, number, number, number];

function shapeOf([batch, queryLen, keyLen, heads, kvHeads, headDim]: Case): AttentionShape {
  return { batch, queryLen, keyLen, keyRows: keyLen, heads, kvHeads, headDim };
}

function randomInputs(shape: AttentionShape, seed: number, range = 1) {
  const rng = new Rng(seed);
  const { batch, queryLen, keyRows, heads, kvHeads, headDim } = shape;
  return {
    q: rng.uniformArray(batch * queryLen * heads * headDim, -range, range),
    k: rng.uniformArray(batch * keyRows * kvHeads * headDim, -range, range),
    v: rng.uniformArray(batch * keyRows * kvHeads * headDim, -1, 1),
    dout: rng.uniformArray(batch * queryLen * heads * headDim, -1, 1),
  };
}

function upload(gpu: Gpu, shape: AttentionShape, x: ReturnType<typeof randomInputs>, ranges?: Uint32Array) {
  const { batch, queryLen, keyRows, heads, kvHeads, headDim } = shape;
  return {
    q: gpu.upload(x.q, [batch, queryLen, heads, headDim]),
    k: gpu.upload(x.k, [batch, keyRows, kvHeads, headDim]),
    v: gpu.upload(x.v, [batch, keyRows, kvHeads, headDim]),
    dout: gpu.upload(x.dout, [batch, queryLen, heads, headDim]),
    keyRange: ranges ? gpu.upload(ranges, [batch, 2], 'u32') : null,
  };
}

/** Right padding: row b has `lengths[b]` valid keys from 0. Left padding: `pads[b]` invalid first. */
const rightPadded = (lengths: number[]) => Uint32Array.from(lengths.flatMap((n) => [0, n]));
const leftPadded = (pads: number[], keyLen: number) => Uint32Array.from(pads.flatMap((n) => [n, keyLen]));

describe('attention forward', () => {
  it.each<Case>([
    [1, 1, 1, 1, 1, 8],
    [2, 5, 5, 4, 2, 8], // GQA, 2 query heads per kv head
    [1, 13, 13, 4, 4, 16], // H = KV
    [2, 13, 13, 3, 1, 16], // KV = 1 (multi-query)
    [2, 5, 13, 2, 1, 8], // past = 8 keys before the queries (prefill after a cached prefix)
    [1, 70, 70, 2, 1, 8], // more keys than one chunk of 64
    [2, 3, 150, 2, 1, 8], // every query sees 3 chunks of keys: online softmax rescaling
  ])('matches the CPU reference for B=%i T=%i S=%i H=%i KV=%i D=%i', async (...c) => {
    const gpu = await testGpu();
    const shape = shapeOf(c);
    const x = randomInputs(shape, c.reduce((a, n) => a * 31 + n, 7), 2);
    const t = upload(gpu, shape, x);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v);
    const ref = attentionForwardCpu(x.q, x.k, x.v, shape);
    expectClose(await out.read(), ref.out, FWD_TOL, 'out');
    expectClose(await lse.read(), ref.lse, FWD_TOL, 'lse');
  });

  it('masks right-padded keys', async () => {
    const gpu = await testGpu();
    const shape = shapeOf([3, 13, 13, 4, 2, 8]);
    const ranges = rightPadded([13, 7, 1]);
    const x = randomInputs(shape, 41);
    const t = upload(gpu, shape, x, ranges);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v, { keyRange: t.keyRange });
    const ref = attentionForwardCpu(x.q, x.k, x.v, shape, ranges);
    expectClose(await out.read(), ref.out, FWD_TOL, 'out');
    expectClose(await lse.read(), ref.lse, FWD_TOL, 'lse');
  });

  it('masks left-padded keys and gives exactly 0 (not NaN) for queries that see no key', async () => {
    const gpu = await testGpu();
    const shape = shapeOf([3, 5, 5, 2, 1, 8]);
    const ranges = leftPadded([0, 2, 5], 5); // row 2 is all padding
    const x = randomInputs(shape, 43);
    const t = upload(gpu, shape, x, ranges);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v, { keyRange: t.keyRange });
    const got = await out.read();
    expectClose(got, attentionForwardCpu(x.q, x.k, x.v, shape, ranges).out, FWD_TOL, 'out');
    expect(got.every(Number.isFinite)).toBe(true);
    // Row 1, queries 0 and 1 (pads), and all of row 2 see no key: 0 output, 0 lse.
    const rowSize = 5 * 2 * 8;
    expect(maxAbs(got.subarray(rowSize, rowSize + 2 * 2 * 8))).toBe(0);
    expect(maxAbs(got.subarray(2 * rowSize))).toBe(0);
    expect(maxAbs((await lse.read()).subarray(2 * 2 * 5))).toBe(0);
  });

  it('stays finite and accurate with scores of ±1e3', async () => {
    const gpu = await testGpu();
    const shape = shapeOf([2, 13, 13, 4, 2, 16]);
    // |q|,|k| up to 32 per element: q·k/sqrt(16) has a spread of ~±3e2 and reaches ~±1e3, so
    // the softmax is nearly one-hot.
    const x = randomInputs(shape, 47, 32);
    // Two keys with identical scores for every query of row 0, so some weights stay balanced.
    x.k.copyWithin(3 * 2 * 16, 0, 2 * 16);
    const t = upload(gpu, shape, x);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v);
    const ref = attentionForwardCpu(x.q, x.k, x.v, shape);
    expect(maxAbs(ref.lse)).toBeGreaterThan(500);
    const got = await out.read();
    expect(got.every(Number.isFinite)).toBe(true);
    // Each score sums 16 terms |q·k| ≤ 1024 (then /4): f32 rounding of ~16·1024·6e-8/4 ≈ 2.5e-4
    // at worst, ~6e-5 typically, in lse; it moves a pair of balanced weights by ~0.25·2·6e-5 ≈ 3e-5
    // (of values |v| ≤ 1).
    expectClose(got, ref.out, { atol: 5e-5, rtol: 1e-5 }, 'out');
    expectClose(await lse.read(), ref.lse, { atol: 2.5e-4, rtol: 0 }, 'lse');
  });

  it('rejects bad head counts and head sizes, naming the op and shapes', async () => {
    const gpu = await testGpu();
    expect(() => attentionForward(gpu, gpu.zeros([1, 2, 3, 8]), gpu.zeros([1, 2, 2, 8]), gpu.zeros([1, 2, 2, 8]))).toThrow(
      /attentionForward: query heads H=3 must be a multiple of kv heads KV=2 \(q\[1, 2, 3, 8\], k\[1, 2, 2, 8\]\)/,
    );
    expect(() => attentionForward(gpu, gpu.zeros([1, 2, 2, 6]), gpu.zeros([1, 2, 1, 6]), gpu.zeros([1, 2, 1, 6]))).toThrow(
      /attentionForward: head size D=6 must be a multiple of 4/,
    );
  });
});

describe('keyRangesFromMask', () => {
  it('turns left- and right-padded masks into [first, end) and refuses gaps', () => {
    expect([...keyRangesFromMask([0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0], 3, 4)]).toEqual([2, 4, 0, 2, 0, 0]);
    expect(() => keyRangesFromMask([1, 0, 1], 1, 3)).toThrow(/row 0 has gaps/);
  });
});

describe('attention decode with a KV cache', () => {
  it.each([
    ['rows', 8],
    ['workgroup', 8],
    ['rows', 32],
    ['workgroup', 32],
  ] as const)('equals the corresponding rows of a full forward, left-padded, across a chunk boundary (%s kernel, D=%i)', async (variant, D) => {
    const gpu = await testGpu();
    setAttentionDecodeVariant(gpu, variant);
    const [B, H, KV, prompt, steps, capacity] = [2, 4, 2, 62, 4, 72];
    const total = prompt + steps;
    const full = shapeOf([B, total, total, H, KV, D]);
    const x = randomInputs(full, 53);
    // Keys past the first chunk of 64 get larger, so they often hold the maximum score and the
    // running softmax must rescale what it summed over the first chunk.
    for (let i = 0; i < x.k.length; i++) if (Math.floor(i / (KV * D)) % total >= 64) x.k[i] *= 4;
    const pads = [0, 3];
    const ranges = leftPadded(pads, total);
    const fullRef = attentionForwardCpu(x.q, x.k, x.v, full, ranges).out;
    const t = upload(gpu, full, x);
    const fullGpu = await attentionForward(gpu, t.q, t.k, t.v, { keyRange: gpu.upload(ranges, [B, 2], 'u32') }).out.read();
    expectClose(fullGpu, fullRef, FWD_TOL, 'full forward');

    // Tokens [from, to) of a (B, total, heads, D) array as a (B, to-from, heads, D) tensor.
    const slice = (src: Float32Array, heads: number, from: number, to: number) => {
      const rows = Array.from({ length: B }, (_, b) => src.subarray(((b * total + from) * heads) * D, ((b * total + to) * heads) * D));
      return gpu.upload(Float32Array.from(rows.flatMap((r) => [...r])), [B, to - from, heads, D]);
    };
    const kCache = gpu.zeros([B, capacity, KV, D]);
    const vCache = gpu.zeros([B, capacity, KV, D]);
    const cacheRange = gpu.upload(leftPadded(pads, capacity), [B, 2], 'u32');
    kvCacheAppend(gpu, kCache, vCache, slice(x.k, KV, 0, prompt), slice(x.v, KV, 0, prompt), 0);
    const promptQ = slice(x.q, H, 0, prompt);
    const prefillRef = Float64Array.from({ length: B * prompt * H * D }, (_, i) => {
      const b = Math.floor(i / (prompt * H * D));
      return fullRef[b * total * H * D + (i % (prompt * H * D))];
    });
    // Both kernels read the cache (capacity 72, 62 rows in use).
    expectClose(await attentionDecode(gpu, promptQ, kCache, vCache, prompt, cacheRange).read(), prefillRef, FWD_TOL, 'prefill (decode kernel)');
    const rowsKernel = attentionForward(gpu, promptQ, kCache, vCache, { keyLength: prompt, keyRange: cacheRange });
    expectClose(await rowsKernel.out.read(), prefillRef, FWD_TOL, 'prefill (row kernel)');
    for (let step = 0; step < steps; step++) {
      const pos = prompt + step;
      kvCacheAppend(gpu, kCache, vCache, slice(x.k, KV, pos, pos + 1), slice(x.v, KV, pos, pos + 1), pos);
      const out = await attentionDecode(gpu, slice(x.q, H, pos, pos + 1), kCache, vCache, pos + 1, cacheRange).read();
      const expected = Float64Array.from({ length: B * H * D }, (_, i) => {
        const b = Math.floor(i / (H * D));
        return fullRef[(b * total + pos) * H * D + (i % (H * D))];
      });
      expectClose(out, expected, FWD_TOL, `decode step ${step}`);
    }
    setAttentionDecodeVariant(gpu, null);
  });

  it('refuses to append past the cache capacity', async () => {
    const gpu = await testGpu();
    const cache = gpu.zeros([1, 4, 1, 8]);
    expect(() => kvCacheAppend(gpu, cache, cache, gpu.zeros([1, 2, 1, 8]), gpu.zeros([1, 2, 1, 8]), 3)).toThrow(
      /kvCacheAppend: rows \[3, 5\) do not fit the cache capacity Smax=4/,
    );
  });
});

/** Forward and backward on the GPU against the CPU reference, with a (B,2) or, perToken, (B,T,2) key range. */
async function expectRowKernelsMatch(gpu: Gpu, shape: AttentionShape, x: ReturnType<typeof randomInputs>, t: ReturnType<typeof upload>, keyRange: Tensor | null, ranges: Uint32Array | null, perToken: boolean) {
  const { out, lse } = attentionForward(gpu, t.q, t.k, t.v, { keyRange });
  const fwd = attentionForwardCpu(x.q, x.k, x.v, shape, ranges, perToken);
  expectClose(await out.read(), fwd.out, FWD_TOL, 'out');
  expectClose(await lse.read(), fwd.lse, FWD_TOL, 'lse');
  const grads = attentionBackward(gpu, t.q, t.k, t.v, out, lse, t.dout, { keyRange });
  const ref = attentionBackwardCpu(x.q, x.k, x.v, x.dout, shape, ranges, perToken);
  expectClose(await grads.dq.read(), ref.dq, BWD_TOL, 'dq');
  expectClose(await grads.dk.read(), ref.dk, BWD_TOL, 'dk');
  expectClose(await grads.dv.read(), ref.dv, BWD_TOL, 'dv');
  expect(maxAbs(ref.dk)).toBeGreaterThan(1e-3);
}

// The row kernels in both variants: head vectors in private arrays, or in named matrices
// (D = 16, 32, 48, 64: the small-head kernels software adapters run).
describe.each(['registers', 'arrays'] as const)('attention row kernels, %s variant', (variant) => {
  it.each<[string, Case, Uint32Array | null]>([
    ['D=16, GQA, right padding', [2, 13, 13, 4, 2, 16], rightPadded([13, 6])],
    ['D=32, H = KV, left padding with a fully masked query', [2, 9, 9, 4, 4, 32], leftPadded([0, 9], 9)],
    ['D=48, past keys', [1, 5, 11, 2, 1, 48], null],
    ['D=32, one query against past keys (the single-row forward, a pair backward of one query)', [2, 1, 6, 2, 1, 32], null],
    ['D=64, KV = 1, left padding, over a chunk of 64', [2, 70, 70, 2, 1, 64], leftPadded([0, 9], 70)],
  ])('forward and backward match the CPU reference (%s)', async (_, c, ranges) => {
    const gpu = await testGpu();
    setAttentionRowVariant(gpu, variant);
    try {
      const shape = shapeOf(c);
      const x = randomInputs(shape, 73);
      const t = upload(gpu, shape, x, ranges ?? undefined);
      await expectRowKernelsMatch(gpu, shape, x, t, t.keyRange, ranges, false);
    } finally {
      setAttentionRowVariant(gpu, null);
    }
  });
});

describe('attention backward', () => {
  it.each<[string, Case, Uint32Array | null]>([
    ['GQA, left padding with a fully masked query', [2, 3, 3, 2, 1, 4], leftPadded([0, 1], 3)],
    ['past keys, right padding', [2, 2, 4, 2, 2, 4], rightPadded([4, 3])],
  ])('CPU backward matches finite differences (%s)', (_, c, ranges) => {
    const shape = shapeOf(c);
    const x = randomInputs(shape, 61);
    const grads = attentionBackwardCpu(x.q, x.k, x.v, x.dout, shape, ranges);
    const out = (q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>) => attentionForwardCpu(q, k, v, shape, ranges).out;
    const tol = { atol: 1e-8, rtol: 1e-6 };
    expectClose(grads.dq, numericGradient((q) => out(q, x.k, x.v), x.q, x.dout), tol, 'dq');
    expectClose(grads.dk, numericGradient((k) => out(x.q, k, x.v), x.k, x.dout), tol, 'dk');
    expectClose(grads.dv, numericGradient((v) => out(x.q, x.k, v), x.v, x.dout), tol, 'dv');
    expect(maxAbs(grads.dk)).toBeGreaterThan(1e-3);
  });

  it.each<[string, Case, Uint32Array | null]>([
    ['GQA, right padding', [2, 13, 13, 4, 2, 8], rightPadded([13, 6])],
    ['H = KV', [1, 5, 5, 3, 3, 16], null],
    ['KV = 1, left padding, over a chunk of 64', [2, 70, 70, 2, 1, 8], leftPadded([0, 9], 70)],
  ])('GPU backward matches the CPU backward (%s)', async (_, c, ranges) => {
    const gpu = await testGpu();
    const shape = shapeOf(c);
    const x = randomInputs(shape, 67);
    const t = upload(gpu, shape, x, ranges ?? undefined);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v, { keyRange: t.keyRange });
    const grads = attentionBackward(gpu, t.q, t.k, t.v, out, lse, t.dout, { keyRange: t.keyRange });
    const ref = attentionBackwardCpu(x.q, x.k, x.v, x.dout, shape, ranges);
    expectClose(await grads.dq.read(), ref.dq, BWD_TOL, 'dq');
    expectClose(await grads.dk.read(), ref.dk, BWD_TOL, 'dk');
    expectClose(await grads.dv.read(), ref.dv, BWD_TOL, 'dv');
  });

  it('gives the same gradients on a second run (no float atomics)', async () => {
    const gpu = await testGpu();
    const shape = shapeOf([1, 13, 13, 4, 1, 8]);
    const x = randomInputs(shape, 71);
    const t = upload(gpu, shape, x);
    const { out, lse } = attentionForward(gpu, t.q, t.k, t.v);
    const first = await attentionBackward(gpu, t.q, t.k, t.v, out, lse, t.dout).dk.read();
    const second = await attentionBackward(gpu, t.q, t.k, t.v, out, lse, t.dout).dk.read();
    expect([...second]).toEqual([...first]);
  });
});

// Sequences packed side by side into one row (padding-free training): a (B,T,2) range per token,
// the sequence [first, end) it belongs to.
const packed = (rows: number[][]) =>
  Uint32Array.from(
    rows.flatMap((lengths) => {
      let first = 0;
      return lengths.flatMap((n) => {
        const r = Array.from({ length: n }, () => [first, first + n]).flat();
        first += n;
        return r;
      });
    }),
  );

describe('attention over packed sequences', () => {
  it('the CPU reference gives each packed sequence what it gives the sequence alone', () => {
    const lengths = [5, 1, 4, 3];
    const T = lengths.reduce((a, n) => a + n, 0);
    const shape = shapeOf([1, T, T, 4, 2, 8]);
    const x = randomInputs(shape, 83);
    const fwd = attentionForwardCpu(x.q, x.k, x.v, shape, packed([lengths]), true);
    const bwd = attentionBackwardCpu(x.q, x.k, x.v, x.dout, shape, packed([lengths]), true);
    const { heads, kvHeads, headDim } = shape;
    let first = 0;
    for (const n of lengths) {
      const alone = shapeOf([1, n, n, heads, kvHeads, headDim]);
      const slice = (a: ArrayLike<number>, perToken: number) => Array.prototype.slice.call(a, first * perToken, (first + n) * perToken) as number[];
      const q = slice(x.q, heads * headDim);
      const k = slice(x.k, kvHeads * headDim);
      const v = slice(x.v, kvHeads * headDim);
      const dout = slice(x.dout, heads * headDim);
      const ref = attentionForwardCpu(q, k, v, alone);
      const refGrads = attentionBackwardCpu(q, k, v, dout, alone);
      const tol = { atol: 1e-12, rtol: 1e-12 };
      expectClose(slice(fwd.out, heads * headDim), ref.out, tol, `out of the sequence at ${first}`);
      for (let h = 0; h < heads; h++) expectClose(Array.prototype.slice.call(fwd.lse, h * T + first, h * T + first + n) as number[], ref.lse.slice(h * n, (h + 1) * n), tol, `lse of head ${h}`);
      expectClose(slice(bwd.dq, heads * headDim), refGrads.dq, tol, 'dq');
      expectClose(slice(bwd.dk, kvHeads * headDim), refGrads.dk, tol, 'dk');
      expectClose(slice(bwd.dv, kvHeads * headDim), refGrads.dv, tol, 'dv');
      first += n;
    }
  });

  it('the CPU backward matches finite differences', () => {
    const shape = shapeOf([2, 4, 4, 2, 1, 4]);
    const ranges = packed([[1, 3], [2, 2]]);
    const x = randomInputs(shape, 89);
    const grads = attentionBackwardCpu(x.q, x.k, x.v, x.dout, shape, ranges, true);
    const out = (q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>) => attentionForwardCpu(q, k, v, shape, ranges, true).out;
    const tol = { atol: 1e-8, rtol: 1e-6 };
    expectClose(grads.dq, numericGradient((q) => out(q, x.k, x.v), x.q, x.dout), tol, 'dq');
    expectClose(grads.dk, numericGradient((k) => out(x.q, k, x.v), x.k, x.dout), tol, 'dk');
    expectClose(grads.dv, numericGradient((v) => out(x.q, x.k, v), x.v, x.dout), tol, 'dv');
    expect(maxAbs(grads.dk)).toBeGreaterThan(1e-3);
  });

  describe.each(['registers', 'arrays'] as const)('%s variant', (variant) => {
    it.each<[string, Case, number[][]]>([
      ['D=16, GQA, a sequence of one token', [2, 12, 12, 4, 2, 16], [[5, 1, 6], [12]]],
      ['D=32, H = KV', [1, 9, 9, 4, 4, 32], [[4, 5]]],
      ['D=64, KV = 1, over a chunk of 64', [1, 75, 75, 2, 1, 64], [[40, 3, 32]]],
    ])('forward and backward match the CPU reference (%s)', async (_, c, rows) => {
      const gpu = await testGpu();
      setAttentionRowVariant(gpu, variant);
      try {
        const shape = shapeOf(c);
        const ranges = packed(rows);
        const x = randomInputs(shape, 97);
        const t = upload(gpu, shape, x);
        const keyRange = gpu.upload(ranges, [shape.batch, shape.queryLen, 2], 'u32');
        await expectRowKernelsMatch(gpu, shape, x, t, keyRange, ranges, true);
      } finally {
        setAttentionRowVariant(gpu, null);
      }
    });
  });

  it('refuses per-token ranges against a cache', async () => {
    const gpu = await testGpu();
    const q = gpu.zeros([1, 2, 1, 8]);
    const cache = gpu.zeros([1, 4, 1, 8]);
    expect(() => attentionForward(gpu, q, cache, cache, { keyLength: 3, keyRange: gpu.zeros([1, 2, 2], 'u32') })).toThrow(/per-token keyRange \(packed sequences\) needs S = T/);
  });
});
