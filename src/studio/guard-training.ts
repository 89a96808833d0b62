// Training the embedded guard as a use case (the CLI's `train-guard`, later the app): hold out a
// seeded share of the labelled pairs, train the classifier on the CPU, write its folder (model.onnx,
// config.json, tokenizer files), and judge the held-out share again through onnxruntime-web from
// the written bytes, so the shipped files are what is measured.

import { guardFiles, type GuardTokenizerFiles } from '../safety/guard/guard-files';
import { encodeLabelledPairs, guardAccuracy, guardEncoding, trainGuard, type LabelledPair } from '../safety/guard/guard-train';
import { labelledPairsToJsonl, parseLabelledPairs, splitHeldOut } from '../safety/guard/labelled-pairs';
import type { Verdict } from '../safety/judges/judge';
import { OnnxClassifierJudge } from '../safety/judges/onnx-classifier';
import { TextTokenizer } from '../text/tokenizer';

export type { GuardTokenizerFiles, LabelledPair };
export { labelledPairsToJsonl, parseLabelledPairs };

export interface GuardTrainingOptions {
  heldOutShare: number; // 0.1: pairs held out from training and measured
  epochs: number;
  seed: number; // initialisation, shuffles and the held-out split
  name: string; // written into config.json; judges report it
  signal?: AbortSignal;
  onEpoch?: (epoch: number, epochs: number, loss: number) => void;
}

export interface GuardTrainingResult {
  files: Map<string, Uint8Array>; // the guard folder, by file name
  train: LabelledPair[];
  heldOut: LabelledPair[];
  heldOutVerdicts: Verdict[]; // of the written model.onnx in onnxruntime-web, in heldOut order
  summary: { pairs: number; train: number; heldOut: number; trainAccuracy: number; heldOutAccuracy: number | null; epochs: number; seed: number; modelBytes: number; judge: string | null };
}

export async function trainGuardFolder(tokenizerFiles: GuardTokenizerFiles, pairs: readonly LabelledPair[], options: GuardTrainingOptions): Promise<GuardTrainingResult> {
  const tokenizer = TextTokenizer.fromFiles(tokenizerFiles);
  const { train, heldOut } = splitHeldOut(pairs, options.heldOutShare, options.seed);
  const guard = await trainGuard(tokenizer, train, { epochs: options.epochs, seed: options.seed }, { signal: options.signal, onEpoch: (p) => options.onEpoch?.(p.epoch, p.epochs, p.loss) });
  const { encoder } = guardEncoding(tokenizer, guard.train);
  const trainAccuracy = guardAccuracy(guard.cfg, guard.weights, encodeLabelledPairs(encoder, train));
  const files = guardFiles(guard, tokenizerFiles, options.name);
  let heldOutVerdicts: Verdict[] = [];
  let judgeName: string | null = null;
  if (heldOut.length) {
    const decode = (file: string) => JSON.parse(new TextDecoder().decode(files.get(file)!)) as unknown;
    const judge = await OnnxClassifierJudge.create({ model: files.get('model.onnx')!, config: decode('config.json'), tokenizerJson: tokenizerFiles.tokenizerJson, tokenizerConfig: tokenizerFiles.tokenizerConfig });
    try {
      heldOutVerdicts = await judge.judge(heldOut, { signal: options.signal });
      judgeName = judge.name;
    } finally {
      await judge.dispose();
    }
  }
  const right = heldOutVerdicts.filter((v, i) => v.label === heldOut[i].label).length;
  return {
    files,
    train,
    heldOut,
    heldOutVerdicts,
    summary: {
      pairs: pairs.length,
      train: train.length,
      heldOut: heldOut.length,
      trainAccuracy,
      heldOutAccuracy: heldOut.length ? right / heldOut.length : null,
      epochs: options.epochs,
      seed: options.seed,
      modelBytes: files.get('model.onnx')!.length,
      judge: judgeName,
    },
  };
}
