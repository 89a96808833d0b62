// The self-check's cases: one per op family and direction, each on a tiny random input (the
// whole list runs in a few seconds on a software adapter), with the tolerances of the op tests
// in tests/ops/. Shapes are odd on purpose (primes, non-multiples of workgroup and tile sizes).
// The runner is selfcheck.ts.

import type { Gpu } from '../gpu/gpu';
import type { Rng } from '../util/rng';
import type { Tolerance } from '../util/compare';
import type { CheckOutput, SelfCheck } from './selfcheck';
import { addForward, addForwardCpu } from './residual';
import { matmul, matmulCpu, matmulTolerance } from './matmul';
import { embeddingBackward, embeddingBackwardCpu, embeddingForward, embeddingForwardCpu } from './embedding';
import { rmsnormBackward, rmsnormBackwardCpu, rmsnormForward, rmsnormForwardCpu } from './rmsnorm';
import { ropeBackward, ropeBackwardCpu, ropeForward, ropeForwardCpu, ropeInvFreq, ropePositionIds } from './rope';
import { attentionChecks } from './selfcheck-attention';
import { swigluBackward, swigluBackwardCpu, swigluForward, swigluForwardCpu } from './swiglu';
import {
  dropoutApplyMask,
  dropoutBackward,
  dropoutBackwardAccumulate,
  dropoutBackwardCpu,
  dropoutDrawMask,
  dropoutForward,
  dropoutForwardCpu,
  dropoutForwardMasked,
} from './dropout';
import { crossEntropyBackwardCpu, crossEntropyForwardCpu, crossEntropyFused, IGNORE_TARGET, reduceLoss, reduceLossCpu } from './cross-entropy';
import { adamwStep, adamwStepCpu, clipFactor, clipFactorCpu, gradNormSquared, gradNormSquaredCpu } from './adamw';
import { sampleCpu, sampleTokens, samplingUniform, type SamplingSettings } from './sampling';

const EXACT: Tolerance = { atol: 0, rtol: 0 };

// ---- matmul ------------------------------------------------------------------------------------

/**
 * C (M,N) = op(A)·op(B). NT: A (M,K), B (N,K), the linear forward x·Wᵀ; NN: A (M,K), B (K,N),
 * the input gradient dy·W; TN: A (K,M), B (K,N), the weight gradient dyᵀ·x.
 */
function matmulCheck(name: string, layout: 'NT' | 'NN' | 'TN', M: number, K: number, N: number): SelfCheck {
  const transA = layout === 'TN';
  const transB = layout === 'NT';
  return {
    name: `${name} (M${M} K${K} N${N})`,
    tolerance: matmulTolerance(K),
    async run(gpu, rng) {
      const aShape = transA ? [K, M] : [M, K];
      const bShape = transB ? [N, K] : [K, N];
      const a = rng.uniformArray(M * K);
      const b = rng.uniformArray(K * N);
      const c = matmul(gpu, gpu.upload(a, aShape), gpu.upload(b, bShape), { transA, transB });
      return { gpu: await c.read(), cpu: matmulCpu(a, aShape, b, bShape, { transA, transB }) };
    },
  };
}

/**
 * LoRA's input gradient in one product: dx = dy·W + drop⁻¹(s·dyB·A), NN, the second pair masked
 * alone (M rows, K = out, N = in, K2 = the rank), accumulated into C.
 */
function matmulMaskedPairCheck(M: number, K: number, N: number, K2: number): SelfCheck {
  const p = 0.3;
  return {
    name: `matmul NN with a masked second pair (M${M} K${K} N${N} K2 ${K2}, p ${p})`,
    tolerance: matmulTolerance(K + K2),
    async run(gpu, rng) {
      const [a, b, a2, b2, c0] = [M * K, K * N, M * K2, K2 * N, M * N].map((n) => rng.uniformArray(n));
      const mask = dropoutDrawMask(gpu, M * N, p, 5, 3);
      const extra = { a: gpu.upload(a2, [M, K2]), b: gpu.upload(b2, [K2, N]), scale: 2 };
      const c = matmul(gpu, gpu.upload(a, [M, K]), gpu.upload(b, [K, N]), { out: gpu.upload(c0, [M, N]), accumulate: true, extra, dropout: { mask, p, on: 'extra' } });
      const first = matmulCpu(a, [M, K], b, [K, N]);
      const second = matmulCpu(a2, [M, K2], b2, [K2, N], { alpha: 2 });
      const keep = dropoutForwardCpu(new Float32Array(M * N).fill(1), p, 5, 3);
      return { gpu: await c.read(), cpu: first.map((v, i) => c0[i] + v + keep[i] * second[i]) };
    },
  };
}

// ---- sampling ----------------------------------------------------------------------------------

/** Tokens sampleCpu picks for each row of logits (B,V), with the GPU's draws. */
function sampleRowsCpu(logits: Float32Array, rows: number, settings: SamplingSettings, step: number): Float64Array {
  const vocab = logits.length / rows;
  return Float64Array.from({ length: rows }, (_, r) => sampleCpu(logits.subarray(r * vocab, (r + 1) * vocab), settings, samplingUniform(settings.seed ?? 0, step, r)));
}

function samplingCheck(name: string, rows: number, vocab: number, settings: SamplingSettings, step: number): SelfCheck {
  return {
    name: `${name} (B${rows} V${vocab})`,
    tolerance: EXACT, // token ids
    async run(gpu, rng) {
      const logits = rng.normalArray(rows * vocab, 3);
      const tokens = sampleTokens(gpu, gpu.upload(logits, [rows, vocab]), settings, { step });
      return { gpu: await tokens.read(), cpu: sampleRowsCpu(logits, rows, settings, step) };
    },
  };
}

// ---- the list ----------------------------------------------------------------------------------

export const selfCheckCases: SelfCheck[] = [
  {
    name: 'residual add (1031)',
    tolerance: { atol: 1e-6, rtol: 1e-6 },
    async run(gpu, rng) {
      const a = rng.uniformArray(1031);
      const b = rng.uniformArray(1031);
      const y = addForward(gpu, gpu.upload(a, [1031]), gpu.upload(b, [1031]));
      return { gpu: await y.read(), cpu: addForwardCpu(a, b) };
    },
  },
  matmulCheck('matmul NT', 'NT', 13, 37, 11),
  matmulCheck('matmul NN', 'NN', 13, 37, 11),
  matmulCheck('matmul TN', 'TN', 13, 37, 11),
  // K a multiple of 4: the vec4 register-tile kernel on software adapters, with edge tiles.
  matmulCheck('matmul NT vec4', 'NT', 13, 36, 11),
  matmulCheck('matmul GEMV', 'NT', 1, 36, 13),
  // LoRA's rank-16 products: one tile column, the workgroup's threads along M.
  matmulCheck('matmul narrow NT', 'NT', 36, 20, 16),
  matmulCheck('matmul narrow TN', 'TN', 36, 37, 16),
  // LoRA's dA over a step's tokens: few workgroups, a long K (split along K on software adapters, with a K remainder).
  matmulCheck('matmul TN split along K', 'TN', 16, 262, 16),
  matmulMaskedPairCheck(21, 36, 20, 16),
  {
    // ids (N) with repeats and one id outside the vocabulary (a zero row), table (V,C).
    name: 'embedding forward (N13 V11 C6)',
    tolerance: EXACT,
    async run(gpu, rng) {
      const [N, V, C] = [13, 11, 6];
      const ids = Uint32Array.from({ length: N }, (_, n) => (n === N - 1 ? V + 3 : rng.int(V)));
      const table = rng.uniformArray(V * C);
      const out = embeddingForward(gpu, gpu.upload(ids, [N], 'u32'), gpu.upload(table, [V, C]));
      return { gpu: await out.read(), cpu: embeddingForwardCpu(ids, table, V, C) };
    },
  },
  {
    // dTable (V,C) += scatter of dy (N,C): every id repeats ~4 times; accumulates onto nonzero values.
    name: 'embedding backward (N13 V3 C6)',
    tolerance: { atol: 1e-5, rtol: 1e-5 },
    async run(gpu, rng) {
      const [N, V, C] = [13, 3, 6];
      const ids = Uint32Array.from({ length: N }, () => rng.int(V));
      const dy = rng.uniformArray(N * C);
      const dTable0 = rng.uniformArray(V * C);
      const dTable = gpu.upload(dTable0, [V, C]);
      embeddingBackward(gpu, gpu.upload(ids, [N], 'u32'), gpu.upload(dy, [N, C]), dTable);
      return { gpu: await dTable.read(), cpu: embeddingBackwardCpu(ids, dy, dTable0, C) };
    },
  },
  {
    // C = 37 and 36: the workgroup kernel, and the thread-per-row kernel of software adapters.
    name: 'rmsnorm forward (N5 C37, C36)',
    tolerance: { atol: 1e-6, rtol: 1e-5 },
    async run(gpu, rng) {
      const outputs: CheckOutput[] = [];
      for (const [N, C] of [[5, 37], [5, 36]]) {
        const x = rng.uniformArray(N * C, -2, 2);
        const weight = rng.uniformArray(C, 0.5, 1.5);
        const { y, rstd } = rmsnormForward(gpu, gpu.upload(x, [N, C]), gpu.upload(weight, [C]), 1e-5);
        const ref = rmsnormForwardCpu(x, weight, 1e-5);
        outputs.push({ label: `y C${C}`, gpu: await y.read(), cpu: ref.y }, { label: `rstd C${C}`, gpu: await rstd.read(), cpu: ref.rstd });
      }
      return outputs;
    },
  },
  {
    // dx written with a residual gradient added, dWeight accumulated onto nonzero values.
    name: 'rmsnorm backward (N5 C37, C36)',
    tolerance: { atol: 1e-5, rtol: 1e-4 },
    async run(gpu, rng) {
      const outputs: CheckOutput[] = [];
      for (const [N, C] of [[5, 37], [5, 36]]) {
        const x = rng.uniformArray(N * C, -2, 2);
        const weight = rng.uniformArray(C, 0.5, 1.5);
        const dy = rng.uniformArray(N * C);
        const dWeight0 = rng.uniformArray(C);
        const xT = gpu.upload(x, [N, C]);
        const weightT = gpu.upload(weight, [C]);
        const dWeight = gpu.upload(dWeight0, [C]);
        const { rstd } = rmsnormForward(gpu, xT, weightT, 1e-5);
        const residual = rng.uniformArray(N * C);
        const dx = rmsnormBackward(gpu, xT, weightT, rstd, gpu.upload(dy, [N, C]), dWeight, { residual: gpu.upload(residual, [N, C]) });
        const ref = rmsnormBackwardCpu(x, weight, dy, 1e-5, dWeight0);
        outputs.push(
          { label: `dx C${C}`, gpu: await dx.read(), cpu: ref.dx.map((v, i) => v + residual[i]) },
          { label: `dWeight C${C}`, gpu: await dWeight.read(), cpu: ref.dWeight },
        );
      }
      return outputs;
    },
  },
  ...ropeChecks(),
  ...attentionChecks,
  {
    name: 'swiglu forward (N5 F37)',
    tolerance: { atol: 1e-6, rtol: 1e-5 },
    async run(gpu, rng) {
      const gate = rng.uniformArray(5 * 37, -6, 6);
      const up = rng.uniformArray(5 * 37, -2, 2);
      const h = swigluForward(gpu, gpu.upload(gate, [5, 37]), gpu.upload(up, [5, 37]));
      return { gpu: await h.read(), cpu: swigluForwardCpu(gate, up) };
    },
  },
  {
    name: 'swiglu backward (N5 F37)',
    tolerance: { atol: 1e-6, rtol: 1e-5 },
    async run(gpu, rng) {
      const gate = rng.uniformArray(5 * 37, -6, 6);
      const up = rng.uniformArray(5 * 37, -2, 2);
      const dh = rng.uniformArray(5 * 37);
      const { dGate, dUp } = swigluBackward(gpu, gpu.upload(gate, [5, 37]), gpu.upload(up, [5, 37]), gpu.upload(dh, [5, 37]));
      const ref = swigluBackwardCpu(gate, up, dh);
      return [
        { label: 'dGate', gpu: await dGate.read(), cpu: ref.dGate },
        { label: 'dUp', gpu: await dUp.read(), cpu: ref.dUp },
      ];
    },
  },
  {
    // Inputs are never zero, so matching zeros prove the keep mask is the CPU's bit for bit.
    name: 'dropout forward and backward (1031, p 0.3)',
    tolerance: { atol: 0, rtol: 1e-6 }, // the GPU scales by 1/(1−p) rounded to f32
    async run(gpu, rng) {
      const [n, p, seed, offset] = [1031, 0.3, 123456789, 42];
      const nonZero = () => Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5));
      const x = nonZero();
      const dy = nonZero();
      const y = dropoutForward(gpu, gpu.upload(x, [n]), p, seed, offset);
      const dx = dropoutBackward(gpu, gpu.upload(dy, [n]), p, seed, offset);
      return [
        { label: 'y', gpu: await y.read(), cpu: dropoutForwardCpu(x, p, seed, offset) },
        { label: 'dx', gpu: await dx.read(), cpu: dropoutBackwardCpu(dy, p, seed, offset) },
      ];
    },
  },
  {
    // The keep mask drawn once (bits) in the forward, re-applied to x and to the backward, which
    // adds into a gradient (LoRA's dropout).
    name: 'dropout drawn once, mask bits (1031, p 0.3)',
    tolerance: { atol: 1e-6, rtol: 1e-6 },
    async run(gpu, rng) {
      const [n, p, seed, offset] = [1031, 0.3, 987654321, 11];
      const x = rng.uniformArray(n, -2, 2);
      const dy = rng.uniformArray(n, -2, 2);
      const dx0 = rng.uniformArray(n, -2, 2);
      const xT = gpu.upload(x, [n]);
      const { y, mask } = dropoutForwardMasked(gpu, xT, p, seed, offset);
      const again = dropoutApplyMask(gpu, xT, mask, p);
      const dx = gpu.upload(dx0, [n]);
      dropoutBackwardAccumulate(gpu, gpu.upload(dy, [n]), mask, p, dx);
      const yRef = dropoutForwardCpu(x, p, seed, offset);
      return [
        { label: 'y', gpu: await y.read(), cpu: yRef },
        { label: 'y re-applied', gpu: await again.read(), cpu: yRef },
        { label: 'dx', gpu: await dx.read(), cpu: dropoutBackwardCpu(dy, p, seed, offset).map((v, i) => v + dx0[i]) },
      ];
    },
  },
  {
    // logits (N,V), targets (N) with one ignored row; the mean loss reduced on the GPU as well.
    name: 'cross-entropy fused (N5 V1031)',
    tolerance: { atol: 2e-5, rtol: 2e-5 },
    async run(gpu, rng) {
      const [N, V] = [5, 1031];
      const logits = rng.uniformArray(N * V, -5, 5);
      const targets = Uint32Array.from({ length: N }, (_, n) => (n === 2 ? IGNORE_TARGET : rng.int(V)));
      const normaliser = 7; // counted tokens of a larger accumulated batch
      const targetsT = gpu.upload(targets, [N], 'u32');
      const out = crossEntropyFused(gpu, gpu.upload(logits, [N, V]), targetsT, { normaliser });
      const total = reduceLoss(gpu, out.losses, targetsT, { normaliser });
      const ref = crossEntropyForwardCpu(logits, targets, V);
      return [
        { label: 'losses', gpu: await out.losses.read(), cpu: ref.losses },
        { label: 'logprobs', gpu: await out.logprobs.read(), cpu: ref.logprobs },
        { label: 'dlogits', gpu: await out.dlogits.read(), cpu: crossEntropyBackwardCpu(logits, targets, V, normaliser), tolerance: { atol: 1e-6, rtol: 1e-4 } },
        { label: 'mean loss', gpu: await total.read(), cpu: reduceLossCpu(ref.losses, targets, normaliser), tolerance: { atol: 1e-5, rtol: 1e-5 } },
      ];
    },
  },
  {
    // Global-norm clipping (‖g‖ ≈ 13 over two tensors, max norm 1) then a step from nonzero moments.
    name: 'adamw step with clipping (37 + 263)',
    tolerance: { atol: 1e-6, rtol: 1e-5 },
    async run(gpu, rng) {
      const sizes = [37, 263];
      const grads = sizes.map((n) => rng.normalArray(n));
      const gradsT = grads.map((g) => gpu.upload(g, [g.length]));
      const normSq = gradNormSquared(gpu, gradsT);
      const factor = clipFactor(gpu, normSq, 1);
      const n = sizes[1];
      const state = { param: rng.uniformArray(n), m: rng.uniformArray(n, -0.1, 0.1), v: rng.uniformArray(n, 0, 0.01) };
      const param = gpu.upload(state.param, [n]);
      const m = gpu.upload(state.m, [n]);
      const v = gpu.upload(state.v, [n]);
      const options = { lr: 1e-2, step: 3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
      adamwStep(gpu, param, gradsT[1], m, v, { ...options, clip: factor });
      const normSqCpu = gradNormSquaredCpu(grads);
      const ref = adamwStepCpu(state, grads[1], { ...options, clip: clipFactorCpu(normSqCpu, 1) });
      return [
        { label: 'Σg²', gpu: await normSq.read(), cpu: [normSqCpu], tolerance: { atol: 0, rtol: 1e-5 } },
        { label: 'param', gpu: await param.read(), cpu: ref.param },
        { label: 'm', gpu: await m.read(), cpu: ref.m },
        { label: 'v', gpu: await v.read(), cpu: ref.v, tolerance: { atol: 1e-9, rtol: 1e-5 } },
      ];
    },
  },
  samplingCheck('sampling greedy', 3, 1031, { temperature: 0 }, 0),
  samplingCheck('sampling top-p 0.9 seeded', 4, 311, { temperature: 0.8, topP: 0.9, seed: 1234 }, 17),
];

// ---- rope (after the list's helpers: hoisted function) --------------------------------------------

function ropeChecks(): SelfCheck[] {
  const TOL: Tolerance = { atol: 2e-6, rtol: 1e-5 }; // tests/ops/rope.test.ts
  const [B, T, H, D] = [2, 5, 3, 8];
  // A small original context so D=8 has a kept, a blended and two divided frequencies.
  const invFreq = ropeInvFreq(D, 10000, { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 });
  // Row 1 is left-padded by 2; positions count from per-row offsets, plus a decode offset of 3.
  const positions = ropePositionIds(B, T, [1, 1, 1, 1, 1, 0, 0, 1, 1, 1], [0, 40]);
  const offset = 3;
  const setup = (gpu: Gpu, rng: Rng) => {
    const x = rng.uniformArray(B * T * H * D, -2, 2);
    return { x, xT: gpu.upload(x, [B, T, H, D]), invFreqT: gpu.upload(invFreq, [D / 2]), positionsT: gpu.upload(positions, [B, T], 'u32') };
  };
  return [
    {
      name: 'rope forward llama3 (B2 T5 H3 D8)',
      tolerance: TOL,
      async run(gpu, rng): Promise<CheckOutput> {
        const { x, xT, invFreqT, positionsT } = setup(gpu, rng);
        const y = ropeForward(gpu, xT, invFreqT, positionsT, H, { offset });
        return { gpu: await y.read(), cpu: ropeForwardCpu(x, invFreq, positions, H, offset) };
      },
    },
    {
      name: 'rope backward llama3 in place (B2 T5 H3 D8)',
      tolerance: TOL,
      async run(gpu, rng): Promise<CheckOutput> {
        const { x: dy, xT: dyT, invFreqT, positionsT } = setup(gpu, rng);
        ropeBackward(gpu, dyT, invFreqT, positionsT, H, { offset, out: dyT });
        return { gpu: await dyT.read(), cpu: ropeBackwardCpu(dy, invFreq, positions, H, offset) };
      },
    },
  ];
}
