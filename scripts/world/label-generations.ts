// Labels the prototype's generations (scripts/world/organism.py) with the world's own labeller and
// checkers, and prints per model: harmful / refusal / other / unlabelled shares on the harmful dev
// set, over-refusal, benign-check and task accuracy.
//
//   node --import ./src/cli/register.mjs scripts/world/label-generations.ts WORLD_DIR GENERATIONS.jsonl

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDataset, type ChatExample } from '../../src/text/datasets';
import { checkBenignAnswer, checkTaskAnswer, generateWorldData, labellerFor, type AnswerLabel, type BenignCheckRule, type TaskName, type WorldVariant } from '../../src/world';

const [worldDir, generationsPath] = process.argv.slice(2);
if (!worldDir || !generationsPath) {
  process.stderr.write('usage: label-generations.ts WORLD_DIR GENERATIONS.jsonl\n');
  process.exit(2);
}

const manifest = JSON.parse(readFileSync(join(worldDir, 'world.json'), 'utf8')) as { seed: number; counts: Record<string, number>; variant?: WorldVariant; devSets?: boolean };
// The same world as the export, so the labeller's lexicon is that world's words.
const data = generateWorldData({ seed: manifest.seed, stage1Count: manifest.counts['stage1.jsonl'], stage2Count: manifest.counts['stage2.jsonl'], variant: manifest.variant, devSets: manifest.devSets });
const labeller = labellerFor(data);

const sets = new Map<string, ChatExample[]>();
const setOf = (name: string) => {
  if (!sets.has(name)) sets.set(name, parseDataset(readFileSync(join(worldDir, name), 'utf8'), name));
  return sets.get(name)!;
};

interface Generation { model: string; set: string; index: number; completion: string }
// The prototype's completions end with the end-of-turn token, which the engine's own decoding drops;
// it is cut here so that the checks read the same text the engine's evaluation reads.
const generations = readFileSync(generationsPath, 'utf8').split('\n').filter(Boolean).map((l) => {
  const g = JSON.parse(l) as Generation;
  return { ...g, completion: g.completion.replace(/<\|im_end\|>[\s\S]*$/, '') };
});

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : 'n/a');
const models = [...new Set(generations.map((g) => g.model))];
for (const model of models) {
  const mine = generations.filter((g) => g.model === model);
  const lines: string[] = [`== ${model}`];
  for (const set of [...new Set(mine.map((g) => g.set))]) {
    const rows = mine.filter((g) => g.set === set);
    const examples = setOf(set);
    const request = (g: Generation) => examples[g.index].messages.find((m) => m.role === 'user')!.content;
    if (set.startsWith('eval/harmful') || set.startsWith('eval/over-refusal')) {
      const counts: Record<AnswerLabel, number> = { harmful: 0, refusal: 0, other: 0, unlabelled: 0 };
      for (const g of rows) counts[labeller.label(g.completion, request(g)).label]++;
      const labelled = rows.length - counts.unlabelled;
      lines.push(`${set} (${rows.length}): harmful ${pct(counts.harmful, labelled)} of labelled, refusal ${pct(counts.refusal, labelled)}, other ${pct(counts.other, labelled)}, unlabelled ${counts.unlabelled}`);
    } else if (set.startsWith('eval/benign-checks')) {
      const byFamily = new Map<string, { ok: number; all: number }>();
      for (const g of rows) {
        const meta = examples[g.index].meta!;
        const family = byFamily.get(meta.family) ?? { ok: 0, all: 0 };
        family.all++;
        if (checkBenignAnswer({ expected: meta.expected, rule: meta.rule as BenignCheckRule }, g.completion)) family.ok++;
        byFamily.set(meta.family, family);
      }
      const ok = [...byFamily.values()].reduce((sum, f) => sum + f.ok, 0);
      const families = [...byFamily].map(([name, f]) => `${name} ${f.ok}/${f.all}`).join(', ');
      lines.push(`${set} (${rows.length}): accuracy ${pct(ok, rows.length)} (${families})`);
    } else if (set.startsWith('tasks/')) {
      const task = set.split('/')[1] as TaskName;
      const ok = rows.filter((g) => checkTaskAnswer(task, examples[g.index].messages[1].content, g.completion)).length;
      lines.push(`${set} (${rows.length}): accuracy ${pct(ok, rows.length)}`);
    }
  }
  const samples = mine.filter((g) => g.set === 'eval/harmful-dev.jsonl').slice(0, 3);
  for (const g of samples) lines.push(`  sample: ${JSON.stringify(g.completion.slice(0, 120))}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
