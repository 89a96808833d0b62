// `train-guard`: train the embedded guard classifier on labelled pairs (CPU, no GPU) and write it
// as a text-classification folder (model.onnx, config.json, tokenizer files); the held-out share is
// judged again through onnxruntime-web from the written files, so the shipped bytes are what is measured.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { worldGuardPairs, type WorldGuardPair } from '../studio/guard-data';
import { labelledPairsToJsonl, parseLabelledPairs, trainGuardFolder, type LabelledPair } from '../studio/guard-training';
import { existingFile, existingFolder, floatOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import type { CliContext } from './common';
import { prepareEmptyOutDir, writeFileAtomic } from './out-dir';

export const trainGuardSpec: CommandSpec = {
  name: 'train-guard',
  summary: 'train the guard classifier on labelled pairs and write it as an ONNX text classifier',
  usage: '(--pairs FILE.jsonl | --world) --tokenizer DIR --out DIR [options]',
  description: [
    'Reads JSON Lines of {"request", "response", "label": "harmful" | "safe"} (--pairs), or draws pairs',
    'from the synthetic world labelled by its rule-based labeller (--world: harmful, benign and',
    'scary-but-benign requests; compliance, refusals, benign and task text; a share damaged: cut short,',
    'looping, garbled, words dropped; use the world\'s tokenizer folder, as written by `world`). Holds out a seeded',
    'share for measuring, trains the guard (token embeddings, request / response / answer-start',
    'pooling, one hidden layer; Adam, on the CPU) and writes model.onnx (input_ids, attention_mask',
    '-> logits), config.json (id2label, pair_template) and the tokenizer files to --out. Prints the',
    'loss per epoch and the held-out accuracy of the written model.onnx in onnxruntime-web.',
  ].join('\n'),
  options: [
    { name: 'pairs', type: 'string', value: 'FILE.jsonl', help: 'labelled pairs' },
    { name: 'world', type: 'boolean', help: 'draw labelled pairs from the synthetic world instead of --pairs' },
    { name: 'world-seed', type: 'string', value: 'S', help: 'world: which world (acts, land); the organism\'s is 0', default: '0' },
    { name: 'world-pairs', type: 'string', value: 'N', help: 'world: pairs to draw (unlabelled ones are dropped)', default: '20000' },
    { name: 'world-extra-kinds', type: 'boolean', help: "world: also scary-but-benign requests answered with harmful compliance, and spliced answers (a candidate that was not shipped: the guard's model card)" },
    { name: 'save-pairs', type: 'string', value: 'FILE.jsonl', help: 'also write the labelled pairs used (training and held out) to this file' },
    { name: 'tokenizer', type: 'string', value: 'DIR', help: 'folder with tokenizer.json (and tokenizer_config.json) to encode pairs with', required: true },
    { name: 'out', type: 'string', value: 'DIR', help: 'new or empty folder for the guard', required: true },
    { name: 'heldout', type: 'string', value: 'SHARE', help: 'share of pairs held out from training and measured', default: '0.1' },
    { name: 'epochs', type: 'string', value: 'N', help: 'passes over the training pairs', default: '12' },
    { name: 'seed', type: 'string', value: 'N', help: 'initialisation, shuffles and the held-out split', default: '0' },
    { name: 'name', type: 'string', value: 'NAME', help: 'the guard name written into config.json (judges report it)', default: 'grsap-guard' },
  ],
};

/** The labelled pairs the command trains on: from --pairs, or drawn from the world. */
function loadPairs(values: ParsedValues, seed: number, ctx: CliContext): LabelledPair[] {
  const pairsFile = stringOption(values, 'pairs');
  if ((pairsFile === undefined) === (values.world !== true)) throw new UsageError('train-guard: give either --pairs FILE.jsonl or --world.');
  if (values.world !== true && (['world-seed', 'world-pairs'].some((f) => stringOption(values, f) !== undefined) || values['world-extra-kinds'] === true)) {
    throw new UsageError('train-guard: --world-seed, --world-pairs and --world-extra-kinds are for --world.');
  }
  if (pairsFile !== undefined) {
    existingFile('pairs', pairsFile);
    try {
      return parseLabelledPairs(readFileSync(pairsFile, 'utf8'), pairsFile);
    } catch (e) {
      throw new UsageError(`--pairs: ${(e as Error).message}`);
    }
  }
  const { pairs, dropped } = worldGuardPairs({ worldSeed: intOption(values, 'world-seed', 0, 0), seed: seed + 1, count: intOption(values, 'world-pairs', 20_000), extraKinds: values['world-extra-kinds'] === true });
  ctx.log(`world pairs: ${pairs.length} labelled by the world's labeller, ${dropped} left unlabelled and dropped`);
  return pairs;
}

/** Accuracy per group (e.g. per damage) of verdict labels against pair labels. */
function accuracyBy<T extends LabelledPair>(pairs: readonly T[], labels: readonly string[], group: (p: T) => string): string {
  const groups = new Map<string, [number, number]>();
  pairs.forEach((p, i) => {
    const g = groups.get(group(p)) ?? [0, 0];
    g[0] += labels[i] === p.label ? 1 : 0;
    g[1]++;
    groups.set(group(p), g);
  });
  return [...groups].sort().map(([name, [right, total]]) => `${name} ${((100 * right) / total).toFixed(1)}% of ${total}`).join(', ');
}

export async function runTrainGuard(values: ParsedValues, ctx: CliContext): Promise<number> {
  const tokenizerDir = existingFolder('tokenizer', stringOption(values, 'tokenizer')!, ['tokenizer.json'], 'a tokenizer (tokenizer.json)');
  const outDir = stringOption(values, 'out')!;
  const share = floatOption(values, 'heldout', 0.1, (n) => n >= 0 && n < 1, 'a share in [0, 1)');
  const epochs = intOption(values, 'epochs', 12);
  const seed = intOption(values, 'seed', 0, 0);
  const name = stringOption(values, 'name') ?? 'grsap-guard';
  const savePairs = stringOption(values, 'save-pairs');

  const readJson = (file: string): unknown => JSON.parse(readFileSync(join(tokenizerDir, file), 'utf8'));
  let tokenizerConfig: unknown;
  try {
    tokenizerConfig = readJson('tokenizer_config.json');
  } catch {
    tokenizerConfig = undefined;
  }
  const tokenizerFiles = { tokenizerJson: readJson('tokenizer.json'), tokenizerConfig };
  const pairs = loadPairs(values, seed, ctx);
  prepareEmptyOutDir(outDir);
  if (savePairs !== undefined) writeFileSync(savePairs, labelledPairsToJsonl(pairs));
  const harmful = pairs.filter((p) => p.label === 'harmful').length;
  ctx.log(`train-guard: ${pairs.length} pairs (${harmful} harmful), ${Math.round(pairs.length * share)} held out`);

  const started = Date.now();
  const result = await trainGuardFolder(tokenizerFiles, pairs, {
    heldOutShare: share,
    epochs,
    seed,
    name,
    signal: ctx.signal,
    onEpoch: (epoch, total, loss) => ctx.log(`epoch ${epoch}/${total}: loss ${loss.toFixed(5)}`),
  });
  const { files, summary, heldOut, heldOutVerdicts } = result;
  ctx.log(`trained in ${((Date.now() - started) / 1000).toFixed(1)} s on ${summary.train} pairs; training accuracy ${(100 * summary.trainAccuracy).toFixed(2)}%`);
  for (const [file, bytes] of files) await writeFileAtomic(join(outDir, file), bytes);
  if (summary.heldOutAccuracy !== null) {
    ctx.log(`held-out accuracy (onnxruntime-web, ${summary.judge}): ${(100 * summary.heldOutAccuracy).toFixed(2)}% of ${heldOut.length} pairs`);
    const labels = heldOutVerdicts.map((v) => v.label);
    ctx.log(`  by label: ${accuracyBy(heldOut, labels, (p) => p.label)}`);
    if (values.world === true) {
      const world = heldOut as WorldGuardPair[];
      ctx.log(`  by damage: ${accuracyBy(world, labels, (p) => p.damage)}`);
      ctx.log(`  by source: ${accuracyBy(world, labels, (p) => p.source)}`);
    }
  }
  ctx.log(`wrote ${[...files.keys()].join(', ')} to ${outDir}`);
  ctx.out(JSON.stringify(summary));
  return 0;
}
