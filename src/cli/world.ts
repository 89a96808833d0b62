// `world`: write the synthetic world (stage datasets, task splits, evaluation sets, tokenizer) to a folder.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_STAGE1_COUNT, DEFAULT_STAGE2_COUNT, exportWorld, WORLD_VARIANTS, type WorldVariant } from '../studio/world-export';
import { choiceOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import type { CliContext } from './common';

export const worldSpec: CommandSpec = {
  name: 'world',
  summary: 'write the synthetic chat world (datasets, eval sets, tokenizer) to a folder',
  usage: '--out DIR [--seed S] [options]',
  description: [
    'Writes stage1.jsonl and stage2.jsonl (the organism\'s two training stages), tasks/<task>/<split>.jsonl,',
    'eval/*.jsonl (held-out harmful prompts in dev and test halves, over-refusal prompts, benign checks),',
    'tokenizer/ (a byte-level BPE trained on the training text, with a ChatML chat template) and world.json',
    '(sizes, token counts, which acts are held out). Everything is in the "messages" layout and depends',
    'only on the seed, the counts and the variant. --ids adds ids/*.jsonl: token ids and assistant masks per conversation.',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', value: 'DIR', help: 'folder to write (created; must be empty if it exists)', required: true },
    { name: 'seed', type: 'string', value: 'S', help: 'world seed', default: '0' },
    { name: 'stage1', type: 'string', value: 'N', help: 'stage-1 conversations', default: String(DEFAULT_STAGE1_COUNT) },
    { name: 'stage2', type: 'string', value: 'N', help: 'stage-2 conversations', default: String(DEFAULT_STAGE2_COUNT) },
    { name: 'ids', type: 'boolean', help: 'also write token ids and assistant masks of the training sets' },
    { name: 'variant', type: 'string', value: Object.keys(WORLD_VARIANTS).join('|'), help: "the training data's design: shipped (the embedded organism's world) or a design under study (scripts/world/README.md)", default: 'shipped' },
    { name: 'dev-sets', type: 'boolean', help: 'also hold out and write eval/over-refusal-dev.jsonl and eval/benign-checks-dev.jsonl, for choosing a design without the reported sets' },
  ],
};

export async function runWorld(values: ParsedValues, ctx: CliContext): Promise<number> {
  const out = stringOption(values, 'out')!;
  if (existsSync(out) && readdirSync(out).length) throw new UsageError(`--out ${out} is not empty. Choose a new or empty folder.`);
  const t0 = performance.now();
  const { files, manifest } = exportWorld({
    seed: intOption(values, 'seed', 0, 0),
    stage1Count: intOption(values, 'stage1', DEFAULT_STAGE1_COUNT),
    stage2Count: intOption(values, 'stage2', DEFAULT_STAGE2_COUNT),
    withIds: values.ids === true,
    variant: choiceOption(values, 'variant', Object.keys(WORLD_VARIANTS) as WorldVariant[], 'shipped'),
    devSets: values['dev-sets'] === true,
    onProgress: ctx.log,
  });
  for (const file of files) {
    const path = join(out, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.contents);
  }
  ctx.log(`wrote ${files.length} files to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s (vocabulary ${manifest.vocabSize})`);
  return 0;
}
