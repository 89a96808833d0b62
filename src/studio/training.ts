// Setting up a training run over chat data, as the UI, the CLI and the experiment runner do it:
// encode the conversations with completion-only masks, check the run fits the device before
// anything is allocated, create what the run trains (a fresh LoRA adapter, or a copy of the base
// weights, so the untuned model stays available), and prepare held-out conversations for the eval
// loss exactly like the training data.

import type { Gpu } from '../gpu/gpu';
import { memoryEstimate, type MemoryEstimate, type ModelConfig } from '../model/config';
import type { Adaptation } from '../model/model';
import { meanLoss, scoreExamples } from '../model/score';
import { ChatTemplateError } from '../text/chat-template';
import type { ChatExample } from '../text/datasets';
import { encodeChatExamples, type EncodeReport, type TokenizedExample } from '../text/encode-dataset';
import { prepareExamples, type PrepareReport } from '../train/batching';
import type { TrainConfig } from '../train/config';
import { freshAdaptation, Trainer, type BatchLayout } from '../train/trainer';
import { Fingerprint } from '../util/hash';
import { padIdOf } from './inference';
import type { LoadedModel } from './load-model';

export interface EvalSet {
  examples: TokenizedExample[]; // truncated to the run's maxLength, as training sees them
  encodeReport: EncodeReport;
  prepareReport: PrepareReport;
}

/** What a run was made from: checkpoints record it and refuse to resume on anything else. */
export type RunIdentity = {
  model: string; // fingerprint of the base model's config and weights
  data: string; // fingerprint of the tokenized training examples (ids and loss masks)
};

export interface TrainingSetup {
  trainer: Trainer;
  adaptation: Adaptation; // what the run trains: the caller owns it (attach, export, destroy)
  encodeReport: EncodeReport; // conversations skipped before tokenized training data exists
  eval: EvalSet | null;
  identity: RunIdentity;
  memory: MemoryEstimate; // of one training step, computed before allocating
  warnings: string[]; // worth telling the user, not worth refusing the run
}

export interface TrainingSetupOptions {
  eval?: readonly ChatExample[]; // held-out conversations: eval loss before and after
  adaptation?: Adaptation; // train this one instead of a fresh one (e.g. continue an adapter)
  memoryBudget?: number; // bytes the device may give this run; refuse a setup estimated beyond it
  lossOn?: 'assistant' | 'all'; // learn the assistant turns (default), or every token (pre-training)
  layout?: BatchLayout; // how micro-batches are laid out (default: padding-free where the model allows it; trainer.ts)
}

function requireTemplate(loaded: LoadedModel) {
  if (!loaded.template) throw new ChatTemplateError(`${loaded.id} has no chat template; training renders each conversation with it to find the assistant tokens to learn.`);
  return loaded.template;
}

/** Tokenize held-out conversations the way training data is tokenized and truncated. */
export function prepareEvalSet(loaded: LoadedModel, examples: readonly ChatExample[], maxLength: number): EvalSet {
  const encoded = encodeChatExamples(loaded.tokenizer, requireTemplate(loaded), examples);
  const prepared = prepareExamples(encoded.examples, maxLength);
  return { examples: prepared.examples, encodeReport: encoded.report, prepareReport: prepared.report };
}

export function fingerprintExamples(examples: readonly TokenizedExample[]): string {
  const f = new Fingerprint();
  for (const e of examples) f.addWords([e.ids.length]).addWords(e.ids).addWords(e.lossMask);
  return f.digest();
}

const MiB = 2 ** 20;

/** One training step's memory on this device, and why it cannot run here (null when nothing is known against it). */
export interface TrainingFit {
  memory: MemoryEstimate;
  logitsBytes: number; // the largest single buffer: a micro-batch's logits
  bufferLimit: number; // the device's largest storage binding
  problem: string | null;
}

/**
 * A setup against the device, before allocating: the largest single buffer (the logits of a
 * micro-batch of `T` tokens) against the binding limit, and the whole step against `budget` when
 * given (WebGPU does not tell a page how much memory the GPU has).
 */
export function trainingFit(gpu: Gpu, cfg: ModelConfig, config: TrainConfig, T: number, budget?: number): TrainingFit {
  const memory = memoryEstimate(cfg, {
    batch: config.batchSize,
    seqLen: T,
    mode: config.method,
    loraRank: config.lora.r,
    loraTargets: config.lora.targets,
    trainEmbeddings: config.trainEmbeddings,
  });
  const logitsBytes = config.batchSize * T * cfg.vocabSize * 4;
  const bufferLimit = gpu.info.limits.maxStorageBufferBindingSize;
  let problem: string | null = null;
  if (logitsBytes > bufferLimit) {
    problem =
      `A micro-batch of ${config.batchSize} × ${T} tokens needs ${(logitsBytes / MiB).toFixed(0)} MiB of logits (vocabulary ${cfg.vocabSize}), ` +
      `more than this GPU's ${(bufferLimit / MiB).toFixed(0)} MiB per buffer. Lower the batch size (and use gradient accumulation) or the max length.`;
  } else if (budget !== undefined && memory.total > budget) {
    const copy = config.method === 'full' ? ' Full fine-tuning keeps the base weights and trains a copy, so the untuned model stays available: choose LoRA to need far less.' : '';
    problem =
      `This training setup needs about ${(memory.total / MiB).toFixed(0)} MiB (weights ${(memory.weights / MiB).toFixed(0)}, gradients and optimizer ` +
      `${((memory.grads + memory.optimizer) / MiB).toFixed(0)}, activations and logits ${((memory.activations + memory.logits) / MiB).toFixed(0)}), ` +
      `more than the ${(budget / MiB).toFixed(0)} MiB available. Lower the batch size or the max length.${copy}`;
  }
  return { memory, logitsBytes, bufferLimit, problem };
}

/** Refuse a setup the device cannot hold, before allocating (trainingFit). */
function checkFits(gpu: Gpu, loaded: LoadedModel, config: TrainConfig, longest: number, budget: number | undefined): MemoryEstimate {
  const fit = trainingFit(gpu, loaded.cfg, config, Math.min(config.maxLength, longest), budget);
  if (fit.problem) throw new Error(fit.problem);
  return fit.memory;
}

/**
 * Encode the training conversations, check the run fits, and build a Trainer for `config` with a
 * fresh adaptation (attached to the model). Throws when no example is left to learn from.
 */
export function createTraining(gpu: Gpu, loaded: LoadedModel, train: readonly ChatExample[], config: TrainConfig, options: TrainingSetupOptions = {}): TrainingSetup {
  const encoded = encodeChatExamples(loaded.tokenizer, requireTemplate(loaded), train);
  if (options.lossOn === 'all') encoded.examples = encoded.examples.map((e) => ({ ids: e.ids, lossMask: e.ids.map(() => 1) }));
  if (!encoded.examples.length) {
    const first = encoded.report.skipped[0];
    throw new Error(`None of the ${train.length} training examples can be used${first ? ` (example [${first.index}]: ${first.reason})` : ''}.`);
  }
  const longest = Math.max(...encoded.examples.map((e) => e.ids.length));
  const warnings: string[] = [];
  const positions = loaded.cfg.maxPositionEmbeddings;
  if (Math.min(longest, config.maxLength) > positions) {
    warnings.push(`Some examples are longer than the ${positions} positions ${loaded.id} was trained for (max_position_embeddings); lower the max length to ${positions} or expect poor results on them.`);
  }
  const memory = checkFits(gpu, loaded, config, longest, options.memoryBudget);
  const evalSet = options.eval ? prepareEvalSet(loaded, options.eval, config.maxLength) : null;
  const adaptation = options.adaptation ?? freshAdaptation(gpu, loaded.model, config);
  const trainer = new Trainer(gpu, loaded.model, encoded.examples, config, padIdOf(loaded.tokenizer), adaptation, options.layout);
  const identity = { model: loaded.fingerprint, data: fingerprintExamples(trainer.examples) };
  return { trainer, adaptation, encodeReport: encoded.report, eval: evalSet, identity, memory, warnings };
}

/** Mean loss per assistant token over an eval set, with whatever the model has attached (no dropout). */
export async function evalLoss(loaded: LoadedModel, set: EvalSet, batchSize: number, signal?: AbortSignal): Promise<number> {
  if (!set.examples.length) return NaN;
  return meanLoss(await scoreExamples(loaded.model, set.examples, { batchSize, padId: padIdOf(loaded.tokenizer), signal }));
}
