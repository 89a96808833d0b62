// AdamW over a gradient set, with global-norm clipping computed on the GPU (no readback).

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { adamwStep, clipFactor, gradNormSquared } from '../ops/adamw';
import type { GradientSet } from './grads';

export interface OptimizerConfig {
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-8
  weightDecay: number; // 0.01; not applied to norms and biases (as the HF Trainer does)
  maxGradNorm: number; // 1.0; 0 = no clipping
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

export class AdamW {
  readonly m: Tensor[];
  readonly v: Tensor[];
  step = 0; // optimizer steps taken
  readonly normSq: Tensor; // (1) ‖g‖² of the last update, before clipping; stays on the GPU
  private factor: Tensor;

  constructor(
    private readonly gpu: Gpu,
    private readonly set: GradientSet,
    readonly config: OptimizerConfig,
  ) {
    this.m = set.params.map((p) => gpu.zeros(p.param.shape, 'f32', `adam.m.${p.name}`));
    this.v = set.params.map((p) => gpu.zeros(p.param.shape, 'f32', `adam.v.${p.name}`));
    this.normSq = gpu.zeros([1], 'f32', 'grad.normSq');
    this.factor = gpu.zeros([1], 'f32', 'grad.clip');
  }

  /** Update every parameter with learning rate `lr`; the gradient norm stays on the GPU. */
  update(lr: number): void {
    const { gpu, set, config } = this;
    this.step++;
    gradNormSquared(gpu, set.params.map((p) => p.grad), { out: this.normSq });
    const clip = config.maxGradNorm > 0 ? clipFactor(gpu, this.normSq, config.maxGradNorm, this.factor) : undefined;
    set.params.forEach((p, i) => {
      adamwStep(gpu, p.param, p.grad, this.m[i], this.v[i], {
        lr,
        step: this.step,
        beta1: config.beta1,
        beta2: config.beta2,
        eps: config.eps,
        weightDecay: p.decay ? config.weightDecay : 0,
        clip,
      });
    });
  }

  /** ‖g‖ before clipping of the last update (reads back one float). */
  async lastGradNorm(): Promise<number> {
    return Math.sqrt((await this.normSq.read())[0]);
  }

  destroy(): void {
    for (const t of [...this.m, ...this.v, this.normSq, this.factor]) t.destroy();
  }
}
