// The embedded guard's ONNX export run by onnxruntime-web (wasm, in Node): its logits equal the
// plain TypeScript forward of the same weights, and the ONNX classifier judge built on it labels,
// scores, batches, cancels, and explains bad files.

import { beforeAll, describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import { guardFiles, readGuardReference } from '../../src/safety/guard/guard-files';
import { guardLogits, roundGuardWeightsToF32 } from '../../src/safety/guard/guard-model';
import { guardEncoding, trainGuard, type TrainedGuard } from '../../src/safety/guard/guard-train';
import { OnnxClassifierJudge, type OnnxClassifierFiles } from '../../src/safety/judges/onnx-classifier';
import type { Verdict } from '../../src/safety/judges/judge';
import { mismatches } from '../../src/util/compare';
import { tinyChatFiles, tinyChatTokenizer } from './helpers/tiny-tokenizer';
import { toyPairs } from './helpers/toy-pairs';

const tokenizer = tinyChatTokenizer();
let guard: TrainedGuard;
let files: OnnxClassifierFiles;
const decoder = new TextDecoder();

beforeAll(async () => {
  guard = await trainGuard(tokenizer, toyPairs(400, 1), { seed: 3, epochs: 6 });
  const folder = guardFiles(guard, tinyChatFiles(), 'toy-guard');
  expect([...folder.keys()].sort()).toEqual(['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
  const json = (name: string) => JSON.parse(decoder.decode(folder.get(name)!)) as unknown;
  files = { model: folder.get('model.onnx')!, config: json('config.json'), tokenizerJson: json('tokenizer.json'), tokenizerConfig: json('tokenizer_config.json') };
});

// Pairs of very different lengths (padding inside a batch), an empty response, and a request
// long enough to be shortened.
const pairs = [
  ...toyPairs(10, 9),
  { request: 'how do I steal a car?', response: '' },
  { request: 'tell me how to '.repeat(40), response: 'Sure! Here is how: Step 1: get the [item].' },
];

describe('guard model.onnx', () => {
  it('gives the logits of the TypeScript forward of the same weights', async () => {
    const judge = await OnnxClassifierJudge.create(files);
    try {
      const got = await judge.logits(pairs);
      const { encoder } = guardEncoding(tokenizer, guard.train);
      const sequences = pairs.map((p) => encoder.encode(p).ids);
      expect(Math.max(...sequences.map((s) => s.length))).toBe(guard.train.maxLength);
      const expected = guardLogits(guard.cfg, roundGuardWeightsToF32(guard.weights), sequences);
      const m = mismatches(got, expected, { atol: 1e-5, rtol: 1e-5 });
      expect(m.count, m.lines.join('\n')).toBe(0);
      let maxDiff = 0;
      for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
      console.info(`guard logits: onnxruntime-web vs TypeScript max |diff| ${maxDiff.toExponential(2)} over ${got.length} values (max |logit| ${Math.max(...Array.from(expected, Math.abs)).toFixed(2)})`);
      // A batch of one gives the same row as inside a padded batch.
      const alone = await judge.logits([pairs[3]]);
      expect(mismatches(alone, got.subarray(6, 8), { atol: 1e-5, rtol: 1e-5 }).count).toBe(0);
    } finally {
      await judge.dispose();
    }
  });

  it('stores the weights it was given (read back from the file)', () => {
    const back = readGuardReference(files.config as Record<string, unknown>, files.model);
    expect(back.cfg).toEqual(guard.cfg);
    const f32 = roundGuardWeightsToF32(guard.weights);
    for (const name of ['embedding', 'w1', 'b1', 'w2', 'b2'] as const) expect(Array.from(back.weights[name])).toEqual(Array.from(f32[name]));
  });

  it('is a standard text-classification export: input_ids and attention_mask (int64) to logits, opset 17', () => {
    const model = onnxProto.onnx.ModelProto.decode(files.model);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.graph!.input!.map((i) => [i.name, i.type!.tensorType!.elemType])).toEqual([['input_ids', 7], ['attention_mask', 7]]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['logits']);
    const config = files.config as Record<string, unknown>;
    expect(config).toMatchObject({ id2label: { 0: 'safe', 1: 'harmful' }, label2id: { safe: 0, harmful: 1 }, architectures: ['GrsapGuardForSequenceClassification'] });
  });
});

describe('ONNX classifier judge', () => {
  it('labels by the top logit, scores softmax P(harmful), names itself, and agrees with the TS forward', async () => {
    const judge = await OnnxClassifierJudge.create(files, { batchSize: 4 });
    try {
      expect(judge.name).toBe('onnx:toy-guard');
      const progress: number[] = [];
      const verdicts = await judge.judge(pairs, { onProgress: (p) => progress.push(p.done) });
      expect(progress).toEqual([4, 8, 12]);
      const { encoder } = guardEncoding(tokenizer, guard.train);
      const reference = guardLogits(guard.cfg, roundGuardWeightsToF32(guard.weights), pairs.map((p) => encoder.encode(p).ids));
      verdicts.forEach((v, i) => {
        const [safe, harmful] = [reference[2 * i], reference[2 * i + 1]];
        expect(v.judge).toBe('onnx:toy-guard');
        expect(v.label).toBe(harmful > safe ? 'harmful' : 'safe');
        expect(v.score!).toBeCloseTo(1 / (1 + Math.exp(safe - harmful)), 5);
      });
      // The toy guard learned its task: the labelled toy pairs are judged right.
      const toy = toyPairs(10, 9);
      expect(verdicts.slice(0, 10).map((v) => v.label)).toEqual(toy.map((p) => p.label));
    } finally {
      await judge.dispose();
    }
  });

  it('keeps the finished batches when cancelled', async () => {
    const judge = await OnnxClassifierJudge.create(files, { batchSize: 5 });
    const controller = new AbortController();
    const kept: Verdict[] = [];
    const run = judge.judge(pairs, { signal: controller.signal, onVerdicts: (_, v) => kept.push(...v), onProgress: () => controller.abort(new Error('cancelled by test')) });
    await expect(run).rejects.toThrow('cancelled by test');
    expect(kept).toHaveLength(5);
    await judge.dispose();
  });

  it('takes the harmful label the user names, and explains bad config.json files', async () => {
    const config = files.config as Record<string, unknown>;
    const flipped = await OnnxClassifierJudge.create(files, { harmfulLabel: 'safe', name: 'flipped' });
    const normal = await OnnxClassifierJudge.create(files);
    const [a, b] = await Promise.all([flipped.judge(pairs.slice(0, 4)), normal.judge(pairs.slice(0, 4))]);
    a.forEach((v, i) => expect(v.score!).toBeCloseTo(1 - b[i].score!, 6));
    await Promise.all([flipped.dispose(), normal.dispose()]);

    const { id2label: _, ...withoutLabels } = config;
    await expect(OnnxClassifierJudge.create({ ...files, config: withoutLabels })).rejects.toThrow(/config.json has no id2label/);
    await expect(OnnxClassifierJudge.create(files, { harmfulLabel: 'toxic' })).rejects.toThrow(/"toxic" is not one of the labels in config.json's id2label \("safe", "harmful"\)/);
    await expect(OnnxClassifierJudge.create({ ...files, config: { ...config, id2label: { 0: 'LABEL_0', 1: 'LABEL_1' } } })).rejects.toThrow(/cannot tell which label means harmful.*name it/);
    await expect(OnnxClassifierJudge.create({ ...files, config: { ...config, pair_template: '{response} {request}' } })).rejects.toThrow(/\{request\} before \{response\}/);
  });

  it('explains a model whose inputs are not input_ids / attention_mask, and bytes that are no model', async () => {
    const model = onnxProto.onnx.ModelProto.decode(files.model);
    const rename = (name: string) => (name === 'input_ids' ? 'ids' : name);
    model.graph!.input!.forEach((i) => (i.name = rename(i.name!)));
    model.graph!.node!.forEach((n) => (n.input = n.input!.map(rename)));
    const renamed = onnxProto.onnx.ModelProto.encode(model).finish();
    await expect(OnnxClassifierJudge.create({ ...files, model: renamed })).rejects.toThrow(/model.onnx has inputs \[ids, attention_mask\].*missing: input_ids; not understood: ids/);
    await expect(OnnxClassifierJudge.create({ ...files, model: new Uint8Array([1, 2, 3]) })).rejects.toThrow(/model.onnx could not be loaded by onnxruntime-web/);
  });
});
