import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { Tensor } from '../../src/gpu/tensor';
import { adamwStep, adamwStepCpu, clipFactor, clipFactorCpu, gradNormSquared, gradNormSquaredCpu, type AdamWState } from '../../src/ops/adamw';
import { Rng } from '../../src/util/rng';
import { expectClose } from '../helpers/compare';
import { testGpu } from '../helpers/gpu';

const STATE_TOL = { atol: 1e-6, rtol: 1e-5 };

interface GpuState {
  param: Tensor;
  m: Tensor;
  v: Tensor;
}

function upload(gpu: Gpu, param: Float32Array): GpuState {
  const n = param.length;
  return { param: gpu.upload(param, [n]), m: gpu.zeros([n]), v: gpu.zeros([n]) };
}

async function expectState(got: GpuState, ref: AdamWState, label: string): Promise<void> {
  expectClose(await got.param.read(), ref.param, STATE_TOL, `${label} param`);
  expectClose(await got.m.read(), ref.m, STATE_TOL, `${label} m`);
  expectClose(await got.v.read(), ref.v, { atol: 1e-9, rtol: 1e-5 }, `${label} v`);
}

describe('AdamW', () => {
  // Several steps with fresh gradients each step, against torch.optim.AdamW written out in f64.
  it.each([
    [1, 0, 1],
    [7, 0.1, 1],
    [1031, 0.01, 0.25], // gradScale ≠ 1: the gradient is scaled before anything else
  ])('follows the PyTorch reference over 5 steps (n=%i, weightDecay=%f, gradScale=%f)', async (n, weightDecay, gradScale) => {
    const gpu = await testGpu();
    const rng = new Rng(n + 17);
    const param0 = rng.uniformArray(n, -1, 1);
    const state = upload(gpu, param0);
    let ref: AdamWState = { param: Float64Array.from(param0), m: new Float64Array(n), v: new Float64Array(n) };
    const options = { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay, gradScale };
    for (let step = 1; step <= 5; step++) {
      const grad = rng.normalArray(n, step === 3 ? 1e-3 : 1); // a small-gradient step too
      adamwStep(gpu, state.param, gpu.upload(grad, [n]), state.m, state.v, { ...options, step });
      ref = adamwStepCpu(ref, grad, { ...options, step });
    }
    await expectState(state, ref, `n=${n}`);
    // The update moved the parameters by about lr per step, so the comparison is not vacuous.
    const moved = ref.param.reduce((s, p, i) => Math.max(s, Math.abs(p - param0[i])), 0);
    expect(moved).toBeGreaterThan(1e-2);
  });

  it('uses PyTorch defaults for betas, eps and weight decay', async () => {
    const gpu = await testGpu();
    const n = 33;
    const rng = new Rng(4);
    const param0 = rng.uniformArray(n, -2, 2);
    const grad = rng.normalArray(n);
    const state = upload(gpu, param0);
    adamwStep(gpu, state.param, gpu.upload(grad, [n]), state.m, state.v, { lr: 0.1, step: 1 });
    const ref = adamwStepCpu({ param: param0, m: new Float64Array(n), v: new Float64Array(n) }, grad, { lr: 0.1, step: 1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    await expectState(state, ref, 'defaults');
  });

  it('rejects mismatched tensors and a step of 0, naming the op', async () => {
    const gpu = await testGpu();
    const [a, b] = [gpu.zeros([4]), gpu.zeros([5])];
    expect(() => adamwStep(gpu, a, b, a, a, { lr: 1, step: 1 })).toThrow(/adamwStep: element counts differ: param\[4\], grad\[5\]/);
    expect(() => adamwStep(gpu, a, a, gpu.zeros([4]), gpu.zeros([4]), { lr: 1, step: 0 })).toThrow(/adamwStep: step must be an integer ≥ 1/);
  });
});

describe('global-norm clipping', () => {
  it('sums squares of many tensors on the GPU, reproducibly', async () => {
    const gpu = await testGpu();
    const rng = new Rng(12);
    // 1 element, a prime, a non-multiple of the workgroup, one large enough that each of its 256
    // workgroups loops over several chunks, an empty one, and more than the six tensors one
    // dispatch takes (a LoRA adapter has 56 or more).
    const sizes = [1, 13, 1000, 300_007, 0, 16 * 128, 344 * 16, 3, 2049, 7, 512, 1, 97, 16];
    const host = sizes.map((n) => rng.uniformArray(n, -1, 1));
    const grads = host.map((g, i) => gpu.upload(g, [g.length], 'f32', `g${i}`));
    const first = await gradNormSquared(gpu, grads, { scale: 0.5 }).read();
    const second = await gradNormSquared(gpu, grads, { scale: 0.5 }).read();
    expectClose(first, [gradNormSquaredCpu(host, 0.5)], { atol: 0, rtol: 1e-5 }, 'Σ g²');
    expect(second[0]).toBe(first[0]);
  });

  it('computes the clip factor on the GPU: clipped above maxNorm, 1 below', async () => {
    const gpu = await testGpu();
    for (const [normSq, maxNorm] of [[100, 1], [0.25, 1], [0, 1]]) {
      const factor = await clipFactor(gpu, gpu.upload([normSq], [1]), maxNorm).read();
      expectClose(factor, [clipFactorCpu(normSq, maxNorm)], { atol: 0, rtol: 1e-6 }, `factor for ‖g‖²=${normSq}`);
    }
  });

  it.each([0, 0.05])('AdamW with GPU clipping follows PyTorch clip_grad_norm_ + AdamW over 4 steps (weightDecay=%f)', async (weightDecay) => {
    const gpu = await testGpu();
    const rng = new Rng(77);
    const sizes = [5, 300, 64];
    const maxNorm = 1.0;
    const params0 = sizes.map((n) => rng.uniformArray(n, -1, 1));
    const states = params0.map((p) => upload(gpu, p));
    let refs: AdamWState[] = params0.map((p) => ({ param: Float64Array.from(p), m: new Float64Array(p.length), v: new Float64Array(p.length) }));
    const options = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
    let clippedSteps = 0;
    for (let step = 1; step <= 4; step++) {
      // Steps 1 and 3 have a global norm far above maxNorm (clipped), 2 and 4 far below (not).
      const std = step % 2 ? 2 : 0.002;
      const grads = sizes.map((n) => rng.normalArray(n, std));
      const gpuGrads = grads.map((g) => gpu.upload(g, [g.length]));
      const factor = clipFactor(gpu, gradNormSquared(gpu, gpuGrads), maxNorm);
      states.forEach((s, i) => adamwStep(gpu, s.param, gpuGrads[i], s.m, s.v, { ...options, step, clip: factor }));
      const refFactor = clipFactorCpu(gradNormSquaredCpu(grads), maxNorm);
      if (refFactor < 1) clippedSteps++;
      refs = refs.map((r, i) => adamwStepCpu(r, grads[i], { ...options, step, clip: refFactor }));
    }
    expect(clippedSteps).toBe(2);
    for (let i = 0; i < states.length; i++) await expectState(states[i], refs[i], `tensor ${i}`);
  });
});
