// Training the embedded guard on labelled (request, response) pairs: plain TypeScript on the CPU,
// explicit forward and backward (guard-model.ts), Adam, seeded shuffles. Pairs are encoded exactly
// as the ONNX judge encodes them at inference (pair-encoding.ts, template mode).

import type { TextTokenizer } from '../../text/tokenizer';
import { Rng } from '../../util/rng';
import type { JudgePair } from '../judges/judge';
import { createPairEncoder, DEFAULT_PAIR_TEMPLATE, splitPairTemplate, type PairEncoder } from '../judges/pair-encoding';
import {
  GUARD_PARAMETER_NAMES,
  guardBackward,
  guardForward,
  guardLoss,
  initGuardWeights,
  zeroGuardGradients,
  type GuardConfig,
  type GuardWeights,
} from './guard-model';

export interface LabelledPair extends JudgePair {
  label: 'harmful' | 'safe';
}

export const GUARD_LABELS = ['safe', 'harmful']; // id2label order of the embedded guard

export interface GuardTrainConfig {
  embedDim: number; // C, token embedding width: 32
  hiddenDim: number; // H, hidden layer width: 64
  headTokens: number; // K, response tokens pooled again as the answer's start (separator and template text included): 16
  separatorToken: string; // the token that ends the request part in the pair template: '<|im_end|>'
  pairTemplate: string; // how a pair is rendered; shipped in config.json as pair_template
  maxLength: number; // tokens per pair, longer pairs shortened (response first): 256
  epochs: number; // passes over the training pairs: 12
  batchSize: number; // pairs per Adam step: 32
  lr: number; // Adam learning rate: 1e-2
  beta1: number; // 0.9
  beta2: number; // 0.999
  weightDecay: number; // decoupled (AdamW), on matrices only: 1e-4
  seed: number; // initialisation and shuffles: 0
}

export const DEFAULT_GUARD_TRAIN_CONFIG: GuardTrainConfig = {
  embedDim: 32,
  hiddenDim: 64,
  headTokens: 16,
  separatorToken: '<|im_end|>',
  pairTemplate: DEFAULT_PAIR_TEMPLATE,
  maxLength: 256,
  epochs: 12,
  batchSize: 32,
  lr: 1e-2,
  beta1: 0.9,
  beta2: 0.999,
  weightDecay: 1e-4,
  seed: 0,
};

/** Defaults overridden by `overrides`; unknown keys are an error (a typo must not train silently). */
export function guardTrainConfig(overrides: Partial<GuardTrainConfig> = {}): GuardTrainConfig {
  const unknown = Object.keys(overrides).filter((k) => !(k in DEFAULT_GUARD_TRAIN_CONFIG));
  if (unknown.length) throw new Error(`guard training: unknown setting(s) ${unknown.join(', ')}; known: ${Object.keys(DEFAULT_GUARD_TRAIN_CONFIG).join(', ')}.`);
  return { ...DEFAULT_GUARD_TRAIN_CONFIG, ...overrides };
}

export interface EncodedLabelledPair {
  ids: number[];
  label: number; // index into GUARD_LABELS
}

export interface GuardEncoding {
  cfg: GuardConfig; // model shapes, from the train config and the tokenizer
  encoder: PairEncoder;
}

/** Model config and pair encoder for a tokenizer; checks the template splits at the separator. */
export function guardEncoding(tokenizer: TextTokenizer, train: GuardTrainConfig): GuardEncoding {
  const separatorId = tokenizer.tokenToId(train.separatorToken);
  if (separatorId === undefined) throw new Error(`guard: the separator token ${JSON.stringify(train.separatorToken)} is not in tokenizer.json; pick a special token the pair template writes after the request.`);
  const [before, middle] = splitPairTemplate(train.pairTemplate);
  const has = (text: string) => tokenizer.encode(text, { addSpecialTokens: false }).includes(separatorId);
  if (has(before) || !has(middle)) {
    throw new Error(`guard: the pair template must write the separator ${train.separatorToken} between {request} and {response} and not before the request; got ${JSON.stringify(train.pairTemplate)}.`);
  }
  const cfg: GuardConfig = { vocabSize: tokenizer.vocabSize, embedDim: train.embedDim, hiddenDim: train.hiddenDim, headTokens: train.headTokens, separatorId, labels: [...GUARD_LABELS] };
  return { cfg, encoder: createPairEncoder(tokenizer, { kind: 'template', template: train.pairTemplate }, train.maxLength) };
}

export function encodeLabelledPairs(encoder: PairEncoder, pairs: readonly LabelledPair[]): EncodedLabelledPair[] {
  return pairs.map((p, i) => {
    const label = GUARD_LABELS.indexOf(p.label);
    if (label < 0) throw new Error(`guard training pair ${i}: label ${JSON.stringify(p.label)} is not one of ${GUARD_LABELS.join(', ')}.`);
    return { ids: encoder.encode(p).ids, label };
  });
}

/** Mean loss over examples, and the gradient of that mean accumulated into `grads` when given. */
export function guardBatchLoss(cfg: GuardConfig, w: GuardWeights, batch: readonly EncodedLabelledPair[], grads?: GuardWeights): number {
  let total = 0;
  const dlogits = new Float64Array(cfg.labels.length);
  for (const example of batch) {
    const act = guardForward(cfg, w, example.ids);
    total += guardLoss(act.logits, example.label, grads ? dlogits : undefined, 1 / batch.length);
    if (grads) guardBackward(cfg, w, act, dlogits, grads);
  }
  return total / batch.length;
}

/** Share of examples whose top logit is their label. */
export function guardAccuracy(cfg: GuardConfig, w: GuardWeights, examples: readonly EncodedLabelledPair[]): number {
  if (!examples.length) return NaN;
  let right = 0;
  for (const example of examples) {
    const logits = guardForward(cfg, w, example.ids).logits;
    if (logits.indexOf(Math.max(...logits)) === example.label) right++;
  }
  return right / examples.length;
}

export interface GuardTrainProgress {
  epoch: number; // 1-based, finished epochs
  epochs: number;
  loss: number; // mean training loss over the epoch
}

export interface GuardTrainOptions {
  signal?: AbortSignal; // checked between steps
  onEpoch?: (p: GuardTrainProgress) => void;
}

export interface TrainedGuard {
  cfg: GuardConfig;
  weights: GuardWeights;
  train: GuardTrainConfig;
  losses: number[]; // mean training loss per epoch
}

/** Adam (with decoupled weight decay on matrices) over seeded shuffles of the pairs. */
export async function trainGuard(tokenizer: TextTokenizer, pairs: readonly LabelledPair[], settings: Partial<GuardTrainConfig> = {}, options: GuardTrainOptions = {}): Promise<TrainedGuard> {
  const train = guardTrainConfig(settings);
  if (!pairs.length) throw new Error('guard training: no labelled pairs given.');
  const { cfg, encoder } = guardEncoding(tokenizer, train);
  const examples = encodeLabelledPairs(encoder, pairs);
  const weights = initGuardWeights(cfg, train.seed);
  const m = zeroGuardGradients(cfg);
  const v = zeroGuardGradients(cfg);
  const rng = new Rng(train.seed ^ 0x5eed);
  const order = examples.map((_, i) => i);
  const losses: number[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= train.epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += train.batchSize) {
      options.signal?.throwIfAborted();
      const batch = order.slice(start, start + train.batchSize).map((i) => examples[i]);
      const grads = zeroGuardGradients(cfg);
      lossSum += guardBatchLoss(cfg, weights, batch, grads) * batch.length;
      adamStep(weights, grads, m, v, ++step, train);
    }
    losses.push(lossSum / examples.length);
    options.onEpoch?.({ epoch, epochs: train.epochs, loss: losses[losses.length - 1] });
    await new Promise((resolve) => setTimeout(resolve, 0)); // let a cancel or a progress message through
  }
  return { cfg, weights, train, losses };
}

function adamStep(w: GuardWeights, g: GuardWeights, m: GuardWeights, v: GuardWeights, step: number, train: GuardTrainConfig): void {
  const correction1 = 1 - train.beta1 ** step;
  const correction2 = 1 - train.beta2 ** step;
  for (const name of GUARD_PARAMETER_NAMES) {
    const decay = name === 'w1' || name === 'w2' || name === 'embedding' ? train.weightDecay : 0;
    const [p, gp, mp, vp] = [w[name], g[name], m[name], v[name]];
    for (let i = 0; i < p.length; i++) {
      mp[i] = train.beta1 * mp[i] + (1 - train.beta1) * gp[i];
      vp[i] = train.beta2 * vp[i] + (1 - train.beta2) * gp[i] * gp[i];
      p[i] -= train.lr * ((mp[i] / correction1) / (Math.sqrt(vp[i] / correction2) + 1e-8) + decay * p[i]);
    }
  }
}
