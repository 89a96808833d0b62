// The training loop: seeded epochs of length-bucketed micro-batches, gradient accumulation,
// clipped AdamW under the warm-up/cosine schedule, progress, cancellation, and a stop at the first
// non-finite loss or gradient norm. It trains an adaptation its caller owns (a LoRA adapter or a
// copy of the base weights). Checkpoints (checkpoint.ts) resume it bit for bit: the plan, the
// dropout seeds and every GPU reduction are deterministic, so the state is the trainable tensors,
// AdamW's moments and the step count. The run around it (checkpoint cadence, eval loss, the run
// record) is a studio use case (src/studio/training-run.ts).

import type { Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { createLoraAdapter, destroyLoraAdapter } from '../model/lora';
import type { Adaptation, DecoderModel } from '../model/model';
import { cloneWeights, destroyWeights } from '../model/weights';
import { pcgHash } from '../util/hash';
import { collate, collatePaddingFree, destroyLearned, uploadBatchInputs, uploadLearned } from '../model/batch';
import type { ModelConfig } from '../model/config';
import type { TokenizedExample } from '../text/encode-dataset';
import { planEpoch, prepareExamples, sortStepRows, type PrepareReport } from './batching';
import type { TrainConfig } from './config';
import { createGradients, destroyGradients, zeroGradients, type GradientSet } from './grads';
import { AdamW } from './optimizer';
import { learningRate, type ScheduleConfig } from './schedule';
import { microBatchStep } from './step';
import { destroyInputs } from '../model/model';

export interface StepReport {
  step: number; // optimizer steps done (1-based)
  totalSteps: number;
  epoch: number; // 0-based
  loss: number | null; // mean loss of this step's tokens (null when not read back this step)
  gradNorm: number | null; // global gradient norm before clipping (read back with the loss)
  lr: number;
  tokens: number; // input tokens this trainer processed so far (padding included, if any), over all run() calls
  tokensPerSec: number;
  etaSec: number; // to the end of the whole run, at the rate so far
}

export interface RunOptions {
  onStep?: (r: StepReport) => void;
  signal?: AbortSignal; // stops after the current step; the state stays consistent for a checkpoint
  untilStep?: number; // stop after this many optimizer steps in total (for pausing)
}

/** A step produced a non-finite loss or gradient norm: the trained weights are no longer usable. */
export class TrainingDivergedError extends Error {
  constructor(
    readonly step: number, // the optimizer step (1-based) that diverged, or the last one run
    readonly loss: number,
    readonly gradNorm: number,
    detail = `loss ${loss}, gradient norm ${gradNorm}`,
  ) {
    super(`Training diverged at step ${step} (${detail}). Lower the learning rate (or raise the batch size) and start again.`);
    this.name = 'TrainingDivergedError';
  }
}

/**
 * What a new run trains, created fresh so a run never continues another's weights: a LoRA adapter
 * (B = 0, so the model starts untuned), or a copy of the model's base weights for full fine-tuning.
 */
export function freshAdaptation(gpu: Gpu, model: DecoderModel, config: TrainConfig): Adaptation {
  if (config.method === 'lora') return { kind: 'lora', adapter: createLoraAdapter(gpu, model.cfg, { ...config.lora, seed: config.lora.seed ^ config.seed }) };
  return { kind: 'full', weights: cloneWeights(gpu, model.cfg, model.baseWeights) };
}

export function destroyAdaptation(model: DecoderModel, adaptation: Adaptation): void {
  if (model.attachment === adaptation) model.detach();
  if (adaptation.kind === 'lora') destroyLoraAdapter(adaptation.adapter);
  else destroyWeights(model.cfg, adaptation.weights);
}

/**
 * How a micro-batch's examples are laid out for the GPU. 'padding-free' (the default where the
 * model allows it): side by side in one row, each attending only to itself, no padding; the same
 * tokens learned with the same gradient and the same LoRA dropout masks as 'padded', up to float
 * rounding, on fewer tokens (the organism's chat-task batches were 15% padding, with safety replay
 * mixed in 26%). 'padded': one example per row, right-padded to the longest.
 */
export type BatchLayout = 'padded' | 'padding-free';

/**
 * Padding-free needs LoRA dropout's masks drawn per row of 4-element groups: every adapted input
 * width (C, H·D, F) a multiple of 4, as in every released Llama-family model.
 */
export function defaultBatchLayout(cfg: ModelConfig): BatchLayout {
  return [cfg.hidden, cfg.nHeads * cfg.headDim, cfg.intermediate].every((w) => w % 4 === 0) ? 'padding-free' : 'padded';
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
  private readout: Tensor; // (3) [loss, counted tokens, ‖g‖²]: one readback per logged step
  private clock = { tokens: 0, steps: 0, seconds: 0 }; // steps run by this trainer (not restored ones)
  history: StepReport[] = [];

  constructor(
    readonly gpu: Gpu,
    readonly model: DecoderModel,
    examples: TokenizedExample[],
    readonly config: TrainConfig,
    private readonly padId: number,
    readonly adaptation: Adaptation, // what this run trains; attached to the model while it runs
    readonly layout: BatchLayout = defaultBatchLayout(model.cfg),
  ) {
    if (layout === 'padding-free' && defaultBatchLayout(model.cfg) !== 'padding-free') throw new Error('Trainer: padding-free batches need every adapted input width (hidden, heads × head size, intermediate) to be a multiple of 4; use padded batches.');
    if (adaptation.kind !== config.method) throw new Error(`Trainer: a ${config.method} run was given a ${adaptation.kind} adaptation to train.`);
    const prepared = prepareExamples(examples, config.maxLength);
    if (!prepared.examples.length) throw new Error('No training example has an assistant token to learn after truncation. Check the data and maxLength.');
    this.examples = prepared.examples;
    this.prepareReport = prepared.report;
    const lengths = this.examples.map((e) => e.ids.length);
    this.steps = [];
    this.stepEpoch = [];
    for (let epoch = 0; epoch < config.epochs; epoch++) {
      const micro = planEpoch(lengths, { batchSize: config.batchSize, seed: pcgHash(config.seed + epoch * 7919), bucketBatches: config.groupByLength ? 16 : 1 });
      for (let i = 0; i < micro.length; i += config.gradAccumulation) {
        const step = micro.slice(i, i + config.gradAccumulation);
        this.steps.push(config.sortWithinStep ? sortStepRows(step, lengths, config.batchSize) : step);
        this.stepEpoch.push(epoch);
      }
    }
    this.schedule = { peakLr: config.lr, totalSteps: this.steps.length, warmupRatio: config.warmupRatio, minLrRatio: config.minLrRatio };
    model.attach(adaptation);
    this.gradients = createGradients(gpu, model, config.method === 'lora' ? { kind: 'lora' } : { kind: 'full', trainEmbeddings: config.trainEmbeddings });
    this.optimizer = new AdamW(gpu, this.gradients, config.optimizer);
    this.loss = gpu.zeros([2], 'f32', 'train.loss');
    this.readout = gpu.zeros([3], 'f32', 'train.readout');
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
    const micro = this.steps[index].map((indices) => (this.layout === 'padding-free' ? collatePaddingFree(this.examples, indices) : collate(this.examples, indices, this.padId)));
    const normaliser = micro.reduce((s, b) => s + b.countedTokens, 0);
    zeroGradients(gpu, this.gradients);
    gpu.clear(this.loss);
    let tokens = 0;
    const stepSeed = pcgHash(this.config.seed * 65599 + index);
    for (const [m, batch] of micro.entries()) {
      tokens += batch.B * batch.T;
      const inputs = uploadBatchInputs(model, batch);
      const learned = uploadLearned(model, batch);
      // Each micro-batch draws its own LoRA dropout masks (the first keeps the step's seed, so a step
      // of one micro-batch draws as it always has).
      const dropoutSeed = m === 0 ? stepSeed : pcgHash(stepSeed ^ Math.imul(m, 0x9e3779b9));
      microBatchStep(gpu, model, inputs, learned, this.gradients, normaliser, this.loss, dropoutSeed);
      destroyInputs(inputs);
      destroyLearned(learned);
    }
    this.optimizer.update(learningRate(this.schedule, index));
    return { tokens };
  }

  /**
   * Run optimizer steps until `untilStep` (default: the end), the signal, or a non-finite loss or
   * gradient norm (TrainingDivergedError). Rates and ETA count every step this trainer ran, over
   * all calls (a run is usually several calls, one per checkpoint interval).
   */
  async run(options: RunOptions = {}): Promise<StepReport[]> {
    const until = Math.min(options.untilStep ?? this.totalSteps, this.totalSteps);
    this.model.attach(this.adaptation); // the caller may have attached something else in between
    while (this.stepsDone < until) {
      if (options.signal?.aborted) break;
      const t0 = performance.now();
      const index = this.stepsDone;
      const { tokens } = this.runStep(index);
      const readLoss = (index + 1) % this.config.logEvery === 0 || index + 1 === until;
      if (readLoss) {
        this.gpu.copy(this.loss, this.readout, 2);
        this.gpu.copy(this.optimizer.normSq, this.readout, 1, 0, 2);
      }
      const read = readLoss ? await this.readout.read() : null;
      const loss = read ? read[0] : null;
      const gradNorm = read ? Math.sqrt(read[2]) : null;
      if (!readLoss) this.gpu.flush();
      if (loss !== null && gradNorm !== null && !(Number.isFinite(loss) && Number.isFinite(gradNorm))) throw new TrainingDivergedError(index + 1, loss, gradNorm);
      this.clock.tokens += tokens;
      this.clock.steps++;
      this.clock.seconds += (performance.now() - t0) / 1000;
      const perStep = this.clock.seconds / this.clock.steps;
      const report: StepReport = {
        step: this.stepsDone,
        totalSteps: this.totalSteps,
        epoch: this.stepEpoch[index],
        loss,
        gradNorm,
        lr: learningRate(this.schedule, index),
        tokens: this.clock.tokens,
        tokensPerSec: this.clock.tokens / Math.max(this.clock.seconds, 1e-9),
        etaSec: perStep * (this.totalSteps - this.stepsDone),
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
    this.readout.destroy();
  }
}
