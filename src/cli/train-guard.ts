// `train-guard`: train the embedded guard classifier on labelled pairs (CPU, no GPU) and write it
// as a text-classification folder (model.onnx, config.json, tokenizer files); the held-out share is
// judged again through onnxruntime-web from the written files, so the shipped bytes are what is measured.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { guardFiles } from '../safety/guard/guard-files';
import { encodeLabelledPairs, guardAccuracy, guardEncoding, trainGuard } from '../safety/guard/guard-train';
import { parseLabelledPairs, splitHeldOut } from '../safety/guard/labelled-pairs';
import { OnnxClassifierJudge } from '../safety/judges/onnx-classifier';
import { TextTokenizer } from '../text/tokenizer';
import { existingFile, existingFolder, floatOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import type { CliContext } from './common';
import { prepareOutDir, writeFileAtomic } from './out-dir';

export const trainGuardSpec: CommandSpec = {
  name: 'train-guard',
  summary: 'train the guard classifier on labelled pairs and write it as an ONNX text classifier',
  usage: '--pairs FILE.jsonl --tokenizer DIR --out DIR [options]',
  description: [
    'Reads JSON Lines of {"request", "response", "label": "harmful" | "safe"}, holds out a seeded',
    'share for measuring, trains the guard (token embeddings, request / response / answer-start',
    'pooling, one hidden layer; Adam, on the CPU) and writes model.onnx (input_ids, attention_mask',
    '-> logits), config.json (id2label, pair_template) and the tokenizer files to --out. Prints the',
    'loss per epoch and the held-out accuracy of the written model.onnx in onnxruntime-web.',
  ].join('\n'),
  options: [
    { name: 'pairs', type: 'string', value: 'FILE.jsonl', help: 'labelled pairs', required: true },
    { name: 'tokenizer', type: 'string', value: 'DIR', help: 'folder with tokenizer.json (and tokenizer_config.json) to encode pairs with', required: true },
    { name: 'out', type: 'string', value: 'DIR', help: 'new or empty folder for the guard', required: true },
    { name: 'heldout', type: 'string', value: 'SHARE', help: 'share of pairs held out from training and measured', default: '0.1' },
    { name: 'epochs', type: 'string', value: 'N', help: 'passes over the training pairs', default: '12' },
    { name: 'seed', type: 'string', value: 'N', help: 'initialisation, shuffles and the held-out split', default: '0' },
    { name: 'name', type: 'string', value: 'NAME', help: 'the guard name written into config.json (judges report it)', default: 'grsap-guard' },
  ],
};

export async function runTrainGuard(values: ParsedValues, ctx: CliContext): Promise<number> {
  const pairsFile = existingFile('pairs', stringOption(values, 'pairs')!);
  const tokenizerDir = existingFolder('tokenizer', stringOption(values, 'tokenizer')!, ['tokenizer.json'], 'a tokenizer (tokenizer.json)');
  const outDir = stringOption(values, 'out')!;
  const share = floatOption(values, 'heldout', 0.1, (n) => n >= 0 && n < 1, 'a share in [0, 1)');
  const epochs = intOption(values, 'epochs', 12);
  const seed = intOption(values, 'seed', 0, 0);
  const name = stringOption(values, 'name') ?? 'grsap-guard';

  const readJson = (file: string): unknown => JSON.parse(readFileSync(join(tokenizerDir, file), 'utf8'));
  let tokenizerConfig: unknown;
  try {
    tokenizerConfig = readJson('tokenizer_config.json');
  } catch {
    tokenizerConfig = undefined;
  }
  const tokenizerFiles = { tokenizerJson: readJson('tokenizer.json'), tokenizerConfig };
  const tokenizer = TextTokenizer.fromFiles(tokenizerFiles);
  let pairs;
  try {
    pairs = parseLabelledPairs(readFileSync(pairsFile, 'utf8'), pairsFile);
  } catch (e) {
    throw new UsageError(`--pairs: ${(e as Error).message}`);
  }
  const { train, heldOut } = splitHeldOut(pairs, share, seed);
  const harmful = pairs.filter((p) => p.label === 'harmful').length;
  ctx.log(`train-guard: ${pairs.length} pairs (${harmful} harmful), ${train.length} for training, ${heldOut.length} held out`);
  prepareOutDir(outDir, false);

  const started = Date.now();
  const guard = await trainGuard(tokenizer, train, { epochs, seed }, { signal: ctx.signal, onEpoch: (p) => ctx.log(`epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(5)}`) });
  const { encoder } = guardEncoding(tokenizer, guard.train);
  const trainAccuracy = guardAccuracy(guard.cfg, guard.weights, encodeLabelledPairs(encoder, train));
  ctx.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s; training accuracy ${(100 * trainAccuracy).toFixed(2)}%`);

  const files = guardFiles(guard, tokenizerFiles, name);
  for (const [file, bytes] of files) await writeFileAtomic(join(outDir, file), bytes);
  const summary: Record<string, unknown> = { pairs: pairs.length, train: train.length, heldOut: heldOut.length, trainAccuracy, epochs, seed, modelBytes: files.get('model.onnx')!.length };
  if (heldOut.length) {
    const decode = (file: string) => JSON.parse(new TextDecoder().decode(files.get(file)!)) as unknown;
    const judge = await OnnxClassifierJudge.create({ model: files.get('model.onnx')!, config: decode('config.json'), tokenizerJson: tokenizerFiles.tokenizerJson, tokenizerConfig });
    try {
      const verdicts = await judge.judge(heldOut, { signal: ctx.signal });
      const right = verdicts.filter((v, i) => v.label === heldOut[i].label).length;
      summary.heldOutAccuracy = right / heldOut.length;
      ctx.log(`held-out accuracy (onnxruntime-web, ${judge.name}): ${((100 * right) / heldOut.length).toFixed(2)}% of ${heldOut.length} pairs`);
    } finally {
      await judge.dispose();
    }
  }
  ctx.log(`wrote ${[...files.keys()].join(', ')} to ${outDir}`);
  ctx.out(JSON.stringify(summary));
  return 0;
}
