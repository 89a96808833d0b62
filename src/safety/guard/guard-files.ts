// The embedded guard's folder, laid out like a Hugging Face text-classification export so any such
// export can take its place: model.onnx, config.json (id2label, label2id, architectures, and the
// pair_template the ONNX judge renders pairs with), tokenizer.json, tokenizer_config.json.

import { buildGuardOnnx, guardWeightsFromOnnx } from './guard-onnx';
import type { GuardConfig, GuardWeights } from './guard-model';
import type { GuardTrainConfig, TrainedGuard } from './guard-train';

export const GUARD_ARCHITECTURE = 'GrsapGuardForSequenceClassification';
export const GUARD_MODEL_TYPE = 'grsap-guard';

export interface GuardTokenizerFiles {
  tokenizerJson: unknown; // tokenizer.json, parsed: copied unchanged
  tokenizerConfig?: unknown; // tokenizer_config.json, parsed: copied when given
}

export function guardConfigJson(cfg: GuardConfig, train: GuardTrainConfig, name: string): Record<string, unknown> {
  return {
    _name_or_path: name,
    architectures: [GUARD_ARCHITECTURE],
    model_type: GUARD_MODEL_TYPE,
    problem_type: 'single_label_classification',
    id2label: Object.fromEntries(cfg.labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(cfg.labels.map((label, i) => [label, i])),
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.embedDim,
    classifier_hidden_size: cfg.hiddenDim,
    head_tokens: cfg.headTokens,
    separator_token: train.separatorToken,
    separator_token_id: cfg.separatorId,
    max_position_embeddings: train.maxLength,
    pair_encoding: 'template',
    pair_template: train.pairTemplate,
    torch_dtype: 'float32',
  };
}

/** The folder's files by name. */
export function guardFiles(guard: TrainedGuard, tokenizer: GuardTokenizerFiles, name: string): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  const json = (value: unknown) => encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
  const files = new Map<string, Uint8Array>();
  files.set('model.onnx', buildGuardOnnx(guard.cfg, guard.weights));
  files.set('config.json', json(guardConfigJson(guard.cfg, guard.train, name)));
  files.set('tokenizer.json', json(tokenizer.tokenizerJson));
  if (tokenizer.tokenizerConfig !== undefined) files.set('tokenizer_config.json', json(tokenizer.tokenizerConfig));
  return files;
}

/** Model config of a guard folder's config.json (written by guardConfigJson). */
export function guardConfigFromJson(config: Record<string, unknown>): GuardConfig {
  if (config.model_type !== GUARD_MODEL_TYPE) throw new Error(`config.json: model_type is ${JSON.stringify(config.model_type)}, not ${GUARD_MODEL_TYPE}; only the embedded guard has a TypeScript reference forward.`);
  const id2label = config.id2label as Record<string, string>;
  return {
    vocabSize: config.vocab_size as number,
    embedDim: config.hidden_size as number,
    hiddenDim: config.classifier_hidden_size as number,
    headTokens: config.head_tokens as number,
    separatorId: config.separator_token_id as number,
    labels: Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k]),
  };
}

/** Config and weights of a guard folder, for the TypeScript reference forward. */
export function readGuardReference(config: Record<string, unknown>, modelOnnx: Uint8Array): { cfg: GuardConfig; weights: GuardWeights } {
  const cfg = guardConfigFromJson(config);
  return { cfg, weights: guardWeightsFromOnnx(cfg, modelOnnx) };
}
