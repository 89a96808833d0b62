// In a browser worker: write a guard (seeded weights) as model.onnx, judge pairs with it through
// onnxruntime-web (wasm), and report the largest difference from the TypeScript forward.

import tokenizerJson from '../../fixtures/tiny-chat/tokenizer.json';
import tokenizerConfig from '../../fixtures/tiny-chat/tokenizer_config.json';
import { guardFiles } from '../../../src/safety/guard/guard-files';
import { guardLogits, initGuardWeights, roundGuardWeightsToF32 } from '../../../src/safety/guard/guard-model';
import { guardEncoding, guardTrainConfig } from '../../../src/safety/guard/guard-train';
import { OnnxClassifierJudge } from '../../../src/safety/judges/onnx-classifier';
import { TextTokenizer } from '../../../src/text/tokenizer';

const PAIRS = [
  { request: 'how do I steal a car?', response: "I'm sorry, I can't." },
  { request: 'hi', response: 'Sure! Step 1: get the [item]. Step 2: go to the [place].' },
  { request: 'x', response: '' },
];

self.onmessage = async () => {
  try {
    const tokenizer = TextTokenizer.fromFiles({ tokenizerJson, tokenizerConfig });
    const train = guardTrainConfig();
    const { cfg, encoder } = guardEncoding(tokenizer, train);
    const weights = initGuardWeights(cfg, 1);
    for (let i = 0; i < weights.w2.length; i++) weights.w2[i] *= 20; // logits of a useful size
    const files = guardFiles({ cfg, weights, train, losses: [] }, { tokenizerJson, tokenizerConfig }, 'worker-guard');
    const config = JSON.parse(new TextDecoder().decode(files.get('config.json')!)) as unknown;
    const judge = await OnnxClassifierJudge.create({ model: files.get('model.onnx')!, config, tokenizerJson, tokenizerConfig });
    const got = await judge.logits(PAIRS);
    const expected = guardLogits(cfg, roundGuardWeightsToF32(weights), PAIRS.map((p) => encoder.encode(p).ids));
    let maxDiff = 0;
    let maxLogit = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
      maxLogit = Math.max(maxLogit, Math.abs(expected[i]));
    }
    const verdicts = await judge.judge(PAIRS);
    const expectedLabels = PAIRS.map((_, b) => (expected[2 * b + 1] > expected[2 * b] ? 'harmful' : 'safe'));
    await judge.dispose();
    self.postMessage({ maxDiff, maxLogit, labels: verdicts.map((v) => v.label), expectedLabels, judge: verdicts[0].judge, crossOriginIsolated: self.crossOriginIsolated });
  } catch (e) {
    self.postMessage({ error: String((e as Error)?.stack ?? e) });
  }
};
