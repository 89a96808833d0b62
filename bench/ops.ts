// Op benchmarks at SmolLM2-135M training shapes (and a decode shape where generation runs the op):
// median time per launch, and GB/s (bytes an ideal kernel must move / time) and/or GFLOP/s
// (algorithmic operations / time) where they mean something. Figures only; nothing is asserted.
//
// Shapes: B=4, T=128, N = B·T = 512 rows, C=576 hidden, F=1536 feed-forward, H=9 query heads,
// KV=3 kv heads, D=64 head size, V=49152 vocabulary; decode: B=4 rows of one token, cache 512.
// Matmuls are benchmarked separately (bench/matmul.ts).

import type { Gpu } from '../src/gpu/gpu';
import type { Tensor } from '../src/gpu/tensor';
import { adamwStep, clipFactor, gradNormSquared } from '../src/ops/adamw';
import { attentionBackward, attentionDecode, attentionForward } from '../src/ops/attention';
import { crossEntropyFused } from '../src/ops/cross-entropy';
import { embeddingBackward, embeddingForward } from '../src/ops/embedding';
import { rmsnormBackward, rmsnormForward } from '../src/ops/rmsnorm';
import { ropeForward, ropeInvFreq } from '../src/ops/rope';
import { sampleTokens } from '../src/ops/sampling';
import { swigluBackward, swigluForward } from '../src/ops/swiglu';
import { Rng } from '../src/util/rng';
import type { BenchRecord } from './suite';
import { throughputRecord, timeGpu, type TimeOptions } from './timing';

const B = 4;
const T = 128;
const N = B * T; // 512 rows
const C = 576;
const F = 1536;
const H = 9;
const KV = 3;
const D = 64;
const V = 49152;
const DECODE_ROWS = 4; // B sequences, one token each
const CACHE = 512; // decode: keys in the KV cache
/** LoRA r=16 on all 7 linear layers of SmolLM2-135M's 30 layers: 30·16·(2·(576+576) + 2·(576+192) + 3·(576+1536)). */
const ADAMW_PARAMS = 30 * 16 * (2 * (C + C) + 2 * (C + KV * D) + 3 * (C + F));

const F32 = 4; // bytes

interface Context {
  gpu: Gpu;
  rng: Rng;
  records: BenchRecord[];
  timeOptions: TimeOptions;
}

function upload(ctx: Context, shape: number[], lo = -1, hi = 1): Tensor {
  return ctx.gpu.upload(ctx.rng.uniformArray(shape.reduce((a, b) => a * b, 1), lo, hi), shape);
}

function ids(ctx: Context, n: number, vocab: number): Tensor {
  return ctx.gpu.upload(Uint32Array.from({ length: n }, () => ctx.rng.int(vocab)), [n], 'u32');
}

async function bench(ctx: Context, op: string, shape: string, launch: () => Tensor | Tensor[] | void, work: { bytes?: number; flops?: number }, extra?: Record<string, unknown>): Promise<void> {
  const run = await timeGpu(ctx.gpu, launch, ctx.timeOptions);
  ctx.records.push(throughputRecord(op, shape, run, work, extra));
}

/** Free the inputs of one op family and the pooled buffers, so large ones do not pile up. */
async function release(ctx: Context, tensors: Tensor[]): Promise<void> {
  for (const t of tensors) t.destroy();
  await ctx.gpu.sync();
  ctx.gpu.pool.trim();
}

async function benchRmsnorm(ctx: Context): Promise<void> {
  const weight = upload(ctx, [C], 0.5, 1.5);
  const dWeight = ctx.gpu.zeros([C]);
  for (const rows of [N, DECODE_ROWS]) {
    const x = upload(ctx, [rows, C]);
    await bench(ctx, 'rmsnorm forward', `N${rows} C${C}`, () => Object.values(rmsnormForward(ctx.gpu, x, weight, 1e-5)), { bytes: F32 * (2 * rows * C + C + rows) });
    if (rows === N) {
      const dy = upload(ctx, [rows, C]);
      const { y, rstd } = rmsnormForward(ctx.gpu, x, weight, 1e-5);
      // Ideal: read x, dy, rstd, weight; write dx; read and write dWeight.
      await bench(ctx, 'rmsnorm backward', `N${rows} C${C}`, () => rmsnormBackward(ctx.gpu, x, weight, rstd, dy, dWeight), { bytes: F32 * (3 * rows * C + rows + 3 * C) });
      await release(ctx, [dy, y, rstd]);
    }
    x.destroy();
  }
  await release(ctx, [weight, dWeight]);
}

async function benchRope(ctx: Context): Promise<void> {
  const invFreq = ctx.gpu.upload(ropeInvFreq(D, 100000), [D / 2]); // SmolLM2's rope_theta
  for (const [batch, time] of [[B, T], [DECODE_ROWS, 1]]) {
    const q = upload(ctx, [batch, time, H, D]);
    const positions = ctx.gpu.upload(Uint32Array.from({ length: batch * time }, (_, i) => i % time), [batch, time], 'u32');
    const out = ctx.gpu.empty(q.shape);
    const bytes = F32 * (2 * q.size + batch * time + D / 2);
    await bench(ctx, 'rope forward (q)', `B${batch} T${time} H${H} D${D}`, () => void ropeForward(ctx.gpu, q, invFreq, positions, H, { out }), { bytes });
    await release(ctx, [q, positions, out]);
  }
  invFreq.destroy();
}

async function benchAttention(ctx: Context): Promise<void> {
  const q = upload(ctx, [B, T, H, D]);
  const k = upload(ctx, [B, T, KV, D]);
  const v = upload(ctx, [B, T, KV, D]);
  const dout = upload(ctx, [B, T, H, D]);
  const shape = `B${B} T${T} H${H} KV${KV} D${D}`;
  const pairs = B * H * ((T * (T + 1)) / 2); // causal (query, key) pairs
  const qSize = q.size;
  const kvSize = k.size;
  // Forward: q·k and p·v, 2·D each per pair; reads q, k, v; writes out and lse.
  await bench(ctx, 'attention forward', shape, () => Object.values(attentionForward(ctx.gpu, q, k, v)), {
    flops: pairs * 4 * D,
    bytes: F32 * (2 * qSize + 2 * kvSize + B * H * T),
  });
  const { out, lse } = attentionForward(ctx.gpu, q, k, v);
  // Backward: the 5 products of FlashAttention's count (score recompute, dP, dS·k, dSᵀ·q, pᵀ·dout),
  // 10·D per pair; these kernels recompute scores once more (dq and dk/dv passes apart).
  await bench(ctx, 'attention backward', shape, () => Object.values(attentionBackward(ctx.gpu, q, k, v, out, lse, dout)), {
    flops: pairs * 10 * D,
    bytes: F32 * (4 * qSize + 4 * kvSize + B * H * T),
  });
  await release(ctx, [q, k, v, dout, out, lse]);

  const qStep = upload(ctx, [DECODE_ROWS, 1, H, D]);
  const kCache = upload(ctx, [DECODE_ROWS, CACHE, KV, D]);
  const vCache = upload(ctx, [DECODE_ROWS, CACHE, KV, D]);
  const stepOut = ctx.gpu.empty(qStep.shape);
  await bench(ctx, 'attention decode', `B${DECODE_ROWS} cache ${CACHE} H${H} KV${KV} D${D}`, () => void attentionDecode(ctx.gpu, qStep, kCache, vCache, CACHE, null, stepOut), {
    flops: DECODE_ROWS * H * CACHE * 4 * D,
    bytes: F32 * (2 * kCache.size + 2 * qStep.size),
  });
  await release(ctx, [qStep, kCache, vCache, stepOut]);
}

async function benchSwiglu(ctx: Context): Promise<void> {
  for (const rows of [N, DECODE_ROWS]) {
    const gate = upload(ctx, [rows, F], -4, 4);
    const up = upload(ctx, [rows, F]);
    const h = ctx.gpu.empty([rows, F]);
    const size = rows * F;
    await bench(ctx, 'swiglu forward', `N${rows} F${F}`, () => void swigluForward(ctx.gpu, gate, up, h), { bytes: F32 * 3 * size });
    if (rows === N) {
      await bench(ctx, 'swiglu backward', `N${rows} F${F}`, () => Object.values(swigluBackward(ctx.gpu, gate, up, h)), { bytes: F32 * 5 * size });
    }
    await release(ctx, [gate, up, h]);
  }
}

async function benchEmbedding(ctx: Context): Promise<void> {
  const table = upload(ctx, [V, C]);
  for (const rows of [N, DECODE_ROWS]) {
    const tokens = ids(ctx, rows, V);
    const out = ctx.gpu.empty([rows, C]);
    await bench(ctx, 'embedding forward', `N${rows} V${V} C${C}`, () => void embeddingForward(ctx.gpu, tokens, table, out), { bytes: F32 * (rows + 2 * rows * C) });
    await release(ctx, [tokens, out]);
  }
  table.destroy();
  const dTable = ctx.gpu.zeros([V, C]);
  const tokens = ids(ctx, N, V);
  const dy = upload(ctx, [N, C]);
  // Ideal: read ids and dy, read and write the touched rows of dTable.
  await bench(ctx, 'embedding backward', `N${N} V${V} C${C}`, () => embeddingBackward(ctx.gpu, tokens, dy, dTable), { bytes: F32 * (N + 3 * N * C) });
  await release(ctx, [dTable, tokens, dy]);
}

async function benchCrossEntropy(ctx: Context): Promise<void> {
  // In place over the logits, as the training step runs it; later launches see gradients as logits.
  const logits = upload(ctx, [N, V], -8, 8);
  const targets = ids(ctx, N, V);
  const losses = ctx.gpu.empty([N]);
  const logprobs = ctx.gpu.empty([N]);
  await bench(ctx, 'cross-entropy fused (in place)', `N${N} V${V}`, () => void crossEntropyFused(ctx.gpu, logits, targets, { normaliser: N, inPlace: true, losses, logprobs }), {
    bytes: F32 * (2 * N * V + 3 * N),
  });
  await release(ctx, [logits, targets, losses, logprobs]);
}

async function benchAdamw(ctx: Context): Promise<void> {
  const n = ADAMW_PARAMS;
  const param = upload(ctx, [n]);
  const grad = upload(ctx, [n], -1e-2, 1e-2);
  const m = ctx.gpu.zeros([n]);
  const v = ctx.gpu.zeros([n]);
  const normSq = ctx.gpu.empty([1]);
  const factor = ctx.gpu.empty([1]);
  const shape = `${n} params (LoRA r16, all linear layers) as one tensor`;
  await bench(ctx, 'grad norm² + clip factor', shape, () => void clipFactor(ctx.gpu, gradNormSquared(ctx.gpu, [grad], { out: normSq }), 1, factor), { bytes: F32 * n });
  let step = 0;
  // Reads param, grad, m, v; writes param, m, v.
  await bench(ctx, 'adamw step (clipped)', shape, () => void adamwStep(ctx.gpu, param, grad, m, v, { lr: 2e-4, step: ++step, clip: factor }), { bytes: F32 * 7 * n });
  await release(ctx, [param, grad, m, v, normSq, factor]);
}

async function benchSampling(ctx: Context): Promise<void> {
  const logits = ctx.gpu.upload(ctx.rng.normalArray(DECODE_ROWS * V, 3), [DECODE_ROWS, V]);
  const tokens = ctx.gpu.empty([DECODE_ROWS], 'u32');
  const shape = `B${DECODE_ROWS} V${V}`;
  let step = 0;
  await bench(ctx, 'sampling greedy', shape, () => void sampleTokens(ctx.gpu, logits, { temperature: 0 }, { step: step++, out: tokens }), { bytes: F32 * logits.size });
  // Bisection passes over the row: GB/s counts one read of the logits, a lower bound of the traffic.
  await bench(ctx, 'sampling top-p 0.9, temperature 0.7', shape, () => void sampleTokens(ctx.gpu, logits, { temperature: 0.7, topP: 0.9, seed: 7 }, { step: step++, out: tokens }), {
    bytes: F32 * logits.size,
  });
  await release(ctx, [logits, tokens]);
}

/** Every op family at training (and decode) shapes; one record per op and shape. */
export async function benchOps(gpu: Gpu, timeOptions: TimeOptions = {}): Promise<BenchRecord[]> {
  const ctx: Context = { gpu, rng: new Rng(4242), records: [], timeOptions };
  for (const family of [benchRmsnorm, benchRope, benchAttention, benchSwiglu, benchEmbedding, benchCrossEntropy, benchAdamw, benchSampling]) {
    await family(ctx);
  }
  return ctx.records;
}
