// The training loop: seeded epochs of length-bucketed micro-batches, gradient accumulation,
// clipped AdamW under the warm-up/cosine schedule, eval loss, progress, cancellation, and
// checkpoints that resume bit for bit (the plan, the dropout seeds and every GPU reduction are
// deterministic, so the state is the trainable tensors, AdamW's moments and the step count).

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { createLoraAdapter } from '../model/lora';
import type { DecoderModel } from '../model/model';
import { pcgHash } from '../ops/sampling';
import { collate, planEpoch, prepareExamples, type PrepareReport, type TokenizedExample } from './batching';
import type { TrainConfig } from './config';
import { createGradients, destroyGradients, zeroGradients, type GradientSet } from './grads';
import { AdamW } from './optimizer';
import { learningRate, type ScheduleConfig } from './schedule';
import { microBatchStep, uploadTrainingBatch } from './step';
import { destroyInputs } from '../model/model';

export interface StepReport {
  step: number; // optimizer steps done (1-based)
  totalSteps: number;
  epoch: number; // 0-based
  loss: number | null; // mean loss of this step's tokens (null when not read back this step)
  lr: number;
  tokens: number; // input tokens processed so far (padding included)
  tokensPerSec: number;
  etaSec: number;
}

export interface RunOptions {
  onStep?: (r: StepReport) => void;
  signal?: AbortSignal; // stops after the current step; the state stays consistent for a checkpoint
  untilStep?: number; // stop after this many optimizer steps in total (for pausing)
}

export class Trainer {
  readonly examples: TokenizedExample[];
  readonly prepareReport: PrepareReport;
  readonly steps: number[][][]; // per optimizer step, its micro-batches (example indices)
  readonly stepEpoch: number[];
  readonly gradients: GradientSet;
  readonly optimizer: AdamW;
  readonly schedule: ScheduleConfig;
  private loss: Tensor;
  history: StepReport[] = [];

  constructor(
    readonly gpu: Gpu,
    readonly model: DecoderModel,
    examples: TokenizedExample[],
    readonly config: TrainConfig,
    private readonly padId: number,
  ) {
    const prepared = prepareExamples(examples, config.maxLength);
    if (!prepared.examples.length) throw new Error('No training example has an assistant token to learn after truncation. Check the data and maxLength.');
    this.examples = prepared.examples;
    this.prepareReport = prepared.report;
    const lengths = this.examples.map((e) => e.ids.length);
    this.steps = [];
    this.stepEpoch = [];
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const micro = planEpoch(lengths, { batchSize: config.batchSize, seed: pcgHash(config.seed + epoch * 7919) });
      for (let i = 0; i < micro.length; i += config.gradAccumulation) {
        this.steps.push(micro.slice(i, i + config.gradAccumulation));
        this.stepEpoch.push(epoch);
      }
    }
    this.schedule = { peakLr: config.lr, totalSteps: this.steps.length, warmupRatio: config.warmupRatio, minLrRatio: config.minLrRatio };
    if (config.method === 'lora' && !model.adapter) model.adapter = createLoraAdapter(gpu, model.cfg, { ...config.lora, seed: config.lora.seed ^ config.seed });
    this.gradients = createGradients(gpu, model, config.method === 'lora' ? { kind: 'lora' } : { kind: 'full', trainEmbeddings: config.trainEmbeddings });
    this.optimizer = new AdamW(gpu, this.gradients, config.optimizer);
    this.loss = gpu.zeros([2], 'f32', 'train.loss');
  }

  get totalSteps(): number {
    return this.steps.length;
  }

  /** Optimizer steps done so far (restored by a checkpoint). */
  get stepsDone(): number {
    return this.optimizer.step;
  }

  /** Run one optimizer step: its micro-batches, then AdamW. Returns the step's loss tensor. */
  private runStep(index: number): { tokens: number } {
    const { gpu, model } = this;
    const micro = this.steps[index].map((indices) => collate(this.examples, indices, this.padId));
    const normaliser = micro.reduce((s, b) => s + b.countedTokens, 0);
    zeroGradients(gpu, this.gradients);
    gpu.clear(this.loss);
    let tokens = 0;
    for (const batch of micro) {
      const { inputs, targets } = uploadTrainingBatch(model, batch);
      microBatchStep(gpu, model, inputs, targets, this.gradients, normaliser, this.loss, pcgHash(this.config.seed * 65599 + index));
      destroyInputs(inputs);
      targets.destroy();
      tokens += batch.B * batch.T;
    }
    this.optimizer.update(learningRate(this.schedule, index));
    return { tokens };
  }

  async run(options: RunOptions = {}): Promise<StepReport[]> {
    const until = Math.min(options.untilStep ?? this.totalSteps, this.totalSteps);
    const t0 = performance.now();
    let tokens = 0;
    const firstStep = this.stepsDone;
    while (this.stepsDone < until) {
      if (options.signal?.aborted) break;
      const index = this.stepsDone;
      tokens += this.runStep(index).tokens;
      const readLoss = (index + 1) % this.config.logEvery === 0 || index + 1 === until;
      const loss = readLoss ? (await this.loss.read())[0] : null;
      if (!readLoss) this.gpu.flush();
      const elapsed = (performance.now() - t0) / 1000;
      const done = this.stepsDone - firstStep;
      const report: StepReport = {
        step: this.stepsDone,
        totalSteps: this.totalSteps,
        epoch: this.stepEpoch[index],
        loss,
        lr: learningRate(this.schedule, index),
        tokens,
        tokensPerSec: tokens / Math.max(elapsed, 1e-9),
        etaSec: (elapsed / done) * (until - this.stepsDone),
      };
      this.history.push(report);
      options.onStep?.(report);
    }
    await this.gpu.sync();
    return this.history;
  }

  destroy(): void {
    this.optimizer.destroy();
    destroyGradients(this.gradients);
    this.loss.destroy();
  }
}
