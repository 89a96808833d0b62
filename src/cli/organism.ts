// `organism`: train the embedded demo model by its recipe (world tokenizer, random init, stage 1
// helpful-only, stage 2 alignment), resumable from its work folder, and write the finished model
// folder (Hugging Face layout) to --out.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ORGANISM_RECIPE, ORGANISM_RECIPES, trainOrganism, type OrganismRecipe } from '../studio/organism';
import { choiceOption, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { formatDuration, type CliContext } from './common';
import { folderStore, writeFileAtomic } from './out-dir';

export const organismSpec: CommandSpec = {
  name: 'organism',
  summary: 'train the embedded demo model by its recipe (resumable) and write it to a folder',
  usage: '[--out DIR] [--work DIR] [options]',
  description: [
    'Trains the demo organism with this engine: the world\'s byte-level BPE tokenizer, a random',
    'initialisation, stage 1 (helpful-only, loss on every token) and stage 2 (alignment SFT, loss on',
    'the assistant turns), each a full fine-tuning run with checkpoints in --work. Rerun the same',
    'command after an interruption (Ctrl-C, SIGTERM) and it continues where it stopped. Writes the',
    'model folder (config.json, model.safetensors, tokenizer files) to --out at the end.',
    '--tiny runs the same path at a toy scale (a few steps), for tests.',
  ].join('\n'),
  options: [
    { name: 'out', type: 'string', value: 'DIR', help: 'where the finished model folder goes', default: 'public/models/grsap-organism' },
    { name: 'work', type: 'string', value: 'DIR', help: 'checkpoints and stage models (resume from here)', default: '.organism-work' },
    { name: 'tiny', type: 'boolean', help: 'a toy-scale run of the same recipe (tests)' },
    { name: 'recipe', type: 'string', value: Object.keys(ORGANISM_RECIPES).join('|'), help: 'which variant of the recipe (experiments; shipped made the embedded model)', default: 'shipped' },
    { name: 'stage1-steps', type: 'string', value: 'N', help: 'override: stage-1 conversations = N × batch size' },
  ],
};

/** The recipe at a toy scale: the same code path, seconds instead of an hour. */
export const TINY_RECIPE: OrganismRecipe = {
  ...ORGANISM_RECIPE,
  name: 'grsap-organism-tiny',
  shape: { hidden: 32, layers: 2, heads: 2, intermediate: 64, maxPositions: 256 },
  stage1: { examples: 24, train: { ...ORGANISM_RECIPE.stage1.train, batchSize: 8, gradAccumulation: 1 } },
  stage2: { examples: 16, train: { ...ORGANISM_RECIPE.stage2.train, batchSize: 8, gradAccumulation: 1, epochs: 1 } },
  checkpointEvery: 2,
};

export async function runOrganism(values: ParsedValues, ctx: CliContext): Promise<number> {
  const out = stringOption(values, 'out') ?? 'public/models/grsap-organism';
  const work = stringOption(values, 'work') ?? '.organism-work';
  const variant = choiceOption(values, 'recipe', Object.keys(ORGANISM_RECIPES), 'shipped');
  if (values.tiny === true && variant !== 'shipped') throw new UsageError('organism: --tiny runs the shipped recipe at toy scale; leave out --recipe.');
  let recipe = values.tiny === true ? TINY_RECIPE : ORGANISM_RECIPES[variant];
  if (stringOption(values, 'stage1-steps') !== undefined) {
    const steps = intOption(values, 'stage1-steps', 1);
    recipe = { ...recipe, stage1: { ...recipe.stage1, examples: steps * (recipe.stage1.train.batchSize ?? 32) * (recipe.stage1.train.gradAccumulation ?? 1) } };
  }
  const t0 = performance.now();
  let lastLog = 0;
  const result = await trainOrganism(await ctx.gpu(), recipe, folderStore(work), {
    signal: ctx.signal,
    onProgress: ({ stage, message, progress: p }) => {
      if (message) return ctx.log(`${stage}: ${message}`);
      if (!p) return;
      if (p.phase !== 'train' || !p.payload) return ctx.log(`${stage}: ${p.phase} ${p.done}/${p.total ?? '?'}`);
      const now = performance.now();
      if (now - lastLog < 5000 && p.done !== p.total) return; // a line every 5 s at most
      lastLog = now;
      const loss = p.payload.loss === null ? '-' : p.payload.loss.toFixed(4);
      ctx.log(`${stage}: step ${p.done}/${p.total}  loss ${loss}  lr ${p.payload.lr.toExponential(2)}  ${(p.rate ?? 0).toFixed(0)} tok/s  ETA ${formatDuration(p.etaSec ?? NaN)}  (elapsed ${formatDuration((now - t0) / 1000)})`);
    },
  });
  if (!result) {
    ctx.log(`stopped; rerun the same command to continue from the checkpoint in ${work}`);
    return 130;
  }
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of result.files) await writeFileAtomic(join(out, name), bytes);
  ctx.log(`wrote ${[...result.files.keys()].join(', ')} to ${out} in ${formatDuration((performance.now() - t0) / 1000)}`);
  ctx.out(JSON.stringify({ stage1: result.records.stage1.losses.at(-1), stage2: result.records.stage2.losses.at(-1), steps: { stage1: result.records.stage1.steps, stage2: result.records.stage2.steps } }));
  return 0;
}
