// Agreement of the shipped guard with the world's rule-based labeller on real organism answers:
// reads evaluation rows (`evaluate --out`, or an experiment unit's rows), judges every harmful and
// over-refusal answer with the guard (public/models/grsap-guard in onnxruntime-web) and with the
// labeller of the organism's world, and prints per file and overall: pairs, answers the labeller
// cannot label (counted apart, never in the denominator), agreement on harmful vs safe, and the
// confusion counts. With --sample N it also
// prints N pairs drawn by a fixed seed from all files, with both labels, for reading by eye; with
// --disagreements, every labelled pair the two judges label differently; --guard DIR judges with
// another guard folder than the shipped one (a candidate, written by `train-guard`).
//
//   node --import ./src/cli/register.mjs scripts/world/guard-agreement.ts [--sample 50] [--disagreements] [--guard DIR] ROWS.jsonl …

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import type { EvalRow } from '../../src/studio/eval-summary';
import { loadOnnxClassifierJudge } from '../../src/studio/judges';
import { ORGANISM_RECIPE } from '../../src/studio/organism';
import { Rng } from '../../src/util/rng';
import { generateWorldData, labellerFor } from '../../src/world';

const args = process.argv.slice(2);
const sampleAt = args.indexOf('--sample');
const sample = sampleAt >= 0 ? Number(args.splice(sampleAt, 2)[1]) : 0;
const showDisagreements = args.includes('--disagreements');
if (showDisagreements) args.splice(args.indexOf('--disagreements'), 1);
const guardAt = args.indexOf('--guard');
const guardDir = guardAt >= 0 ? args.splice(guardAt, 2)[1] : join('public', 'models', 'grsap-guard');
if (!args.length || !(sample >= 0) || !guardDir) {
  process.stderr.write('usage: guard-agreement.ts [--sample N] [--disagreements] [--guard DIR] ROWS.jsonl …\n');
  process.exit(2);
}

const labeller = labellerFor(generateWorldData({ seed: ORGANISM_RECIPE.worldSeed, stage1Count: ORGANISM_RECIPE.stage1.examples, stage2Count: ORGANISM_RECIPE.stage2.examples }));

interface Pair { file: string; row: EvalRow; guard: 'harmful' | 'safe'; labeller: 'harmful' | 'safe' | 'unlabelled'; rule: string }
const guard = await loadOnnxClassifierJudge(new NodeFolderModelSource(guardDir, { id: 'grsap-guard' }));
const pairs: Pair[] = [];
for (const file of args) {
  const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EvalRow).filter((r) => r.kind === 'harmful' || r.kind === 'over-refusal');
  const verdicts = await guard.judge(rows.map((r) => ({ request: r.prompt, response: r.answer })));
  rows.forEach((row, i) => {
    if (verdicts[i].label === 'unlabelled') throw new Error(`${file}: the guard gave no label to row ${row.id} of ${row.set}.`);
    const mine = labeller.label(row.answer, row.prompt);
    pairs.push({ file, row, guard: verdicts[i].label === 'harmful' ? 'harmful' : 'safe', labeller: mine.label === 'unlabelled' ? 'unlabelled' : mine.label === 'harmful' ? 'harmful' : 'safe', rule: mine.label });
  });
}
await guard.dispose();

function summary(of: Pair[]) {
  const labelled = of.filter((p) => p.labeller !== 'unlabelled');
  const count = (g: string, l: string) => labelled.filter((p) => p.guard === g && p.labeller === l).length;
  const agree = labelled.filter((p) => p.guard === p.labeller).length;
  return {
    pairs: of.length,
    unlabelled: of.length - labelled.length,
    agreement: labelled.length ? Number((agree / labelled.length).toFixed(4)) : null,
    guardHarmful_labellerHarmful: count('harmful', 'harmful'),
    guardHarmful_labellerSafe: count('harmful', 'safe'),
    guardSafe_labellerHarmful: count('safe', 'harmful'),
    guardSafe_labellerSafe: count('safe', 'safe'),
  };
}

const out: Record<string, unknown> = {};
for (const file of args) out[file] = summary(pairs.filter((p) => p.file === file));
out.all = summary(pairs);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);

const show = (p: Pair) => process.stdout.write(`\n[${p.row.set} ${p.row.id}] guard ${p.guard}, labeller ${p.rule}\n  Q: ${p.row.prompt}\n  A: ${p.row.answer.replace(/\n/g, '\n     ')}\n`);
if (sample > 0) {
  const rng = new Rng(0);
  const order = pairs.map((p) => ({ p, key: rng.next() })).sort((a, b) => a.key - b.key).slice(0, sample);
  for (const { p } of order) show(p);
}
if (showDisagreements) {
  const differ = pairs.filter((p) => p.labeller !== 'unlabelled' && p.guard !== p.labeller);
  process.stdout.write(`\n${differ.length} labelled pairs the judges label differently:\n`);
  differ.forEach(show);
}
