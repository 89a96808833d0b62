// A training run over chat data, as the UI and the CLI set it up: encode the conversations with
// completion-only masks, build the Trainer (which truncates to maxLength and reports it), and the
// eval loss on held-out conversations prepared exactly like the training data.

import type { Gpu } from '../gpu/gpu';
import type { LoadedModel } from '../model/load';
import { meanLoss, scoreExamples } from '../model/score';
import { ChatTemplateError } from '../text/chat-template';
import type { ChatExample } from '../text/datasets';
import { encodeChatExamples, type EncodeReport } from '../text/encode-dataset';
import { prepareExamples, type PrepareReport, type TokenizedExample } from '../train/batching';
import type { TrainConfig } from '../train/config';
import { Trainer } from '../train/trainer';
import { padIdOf } from './inference';

export interface EvalSet {
  examples: TokenizedExample[]; // truncated to the run's maxLength, as training sees them
  encodeReport: EncodeReport;
  prepareReport: PrepareReport;
}

export interface TrainingSetup {
  trainer: Trainer;
  encodeReport: EncodeReport; // conversations skipped before tokenized training data exists
  eval: EvalSet | null;
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

/**
 * Encode the training conversations and build a Trainer for `config` (for LoRA it attaches a fresh
 * adapter to the model). Throws when no example is left to learn from.
 */
export function createTraining(gpu: Gpu, loaded: LoadedModel, train: readonly ChatExample[], config: TrainConfig, evalExamples?: readonly ChatExample[]): TrainingSetup {
  const encoded = encodeChatExamples(loaded.tokenizer, requireTemplate(loaded), train);
  if (!encoded.examples.length) {
    const first = encoded.report.skipped[0];
    throw new Error(`None of the ${train.length} training examples can be used${first ? ` (example [${first.index}]: ${first.reason})` : ''}.`);
  }
  const evalSet = evalExamples ? prepareEvalSet(loaded, evalExamples, config.maxLength) : null;
  const trainer = new Trainer(gpu, loaded.model, encoded.examples, config, padIdOf(loaded.tokenizer));
  return { trainer, encodeReport: encoded.report, eval: evalSet };
}

/** Mean loss per assistant token over an eval set, with the model as it is now (no dropout). */
export async function evalLoss(loaded: LoadedModel, set: EvalSet, batchSize: number, signal?: AbortSignal): Promise<number> {
  if (!set.examples.length) return NaN;
  return meanLoss(await scoreExamples(loaded.model, set.examples, { batchSize, padId: padIdOf(loaded.tokenizer), signal }));
}
