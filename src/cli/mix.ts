// `mix`: a saved replay set mixed into task data for fine-tuning (GR-SAP step 5): r of N rows replay,
// the rest task data (or r·N on top of N), hard and easy pairs at the hard ratio, seeded. Writes the
// mix as messages JSONL (every row with mix_source = task | replay-hard | replay-easy | benign) that
// `train --data` reads; prints the mix report as JSON on stdout, its notes on stderr. No GPU.

import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mixReplaySet, parseReplaySet, type MixSettings } from '../studio/replay-set';
import { toJsonl } from '../text/datasets';
import { choiceOption, existingFile, existingFolder, floatOption, intOption, stringOption, type CommandSpec, type ParsedValues } from './args';
import { readDataset, type CliContext } from './common';
import { writeFileAtomic } from './out-dir';

const MODES = ['of-total', 'on-top'] as const;
const SHORTAGE = ['fill', 'keep-ratio', 'error'] as const;

export const mixSpec: CommandSpec = {
  name: 'mix',
  summary: 'mix a replay set into task data for fine-tuning (messages JSONL out)',
  usage: '--task FILE --replay FILE.jsonl --out FILE.jsonl [--ratio R] [--mode of-total|on-top] [options]',
  description: [
    'Takes --ratio r of N rows from the replay set (as `replay` writes it) and the rest from the task',
    'data (--mode of-total, the paper\'s default; N = --total, default every task example), or N task',
    'rows plus round(r·N) replay rows (--mode on-top). Replay rows are hard and easy pairs at',
    '--hard-ratio (and benign pairs, from replay --benign-samples, at --benign-share); a pool too short',
    'follows --shortage. Rows are shuffled with --seed. Writes the mix to --out in the messages layout',
    'with mix_source on every row (task rows keep their own fields) and prints the report: counts per',
    'source and a note per shortage.',
  ].join('\n'),
  options: [
    { name: 'task', type: 'string', value: 'FILE', help: 'task examples: JSONL, JSON or CSV in any layout train reads', required: true },
    { name: 'replay', type: 'string', value: 'FILE.jsonl', help: 'a replay set written by replay', required: true },
    { name: 'out', type: 'string', value: 'FILE.jsonl', help: 'the mixed dataset', required: true },
    { name: 'ratio', type: 'string', value: 'R', help: 'share r of replay rows, in [0, 1)', default: '0.1' },
    { name: 'mode', type: 'string', value: MODES.join('|'), help: 'replay within N rows, or on top of N task rows', default: 'of-total' },
    { name: 'total', type: 'string', value: 'N', help: 'N', default: 'every task example' },
    { name: 'hard-ratio', type: 'string', value: 'R', help: 'share of hard pairs among the safety replay', default: '0.5' },
    { name: 'benign-share', type: 'string', value: 'S', help: 'share of benign pairs among the replay rows', default: '0' },
    { name: 'shortage', type: 'string', value: SHORTAGE.join('|'), help: 'when a pool is short', default: 'fill' },
    { name: 'seed', type: 'string', value: 'S', help: 'which rows are drawn, and their order', default: '0' },
  ],
};

export async function runMix(values: ParsedValues, ctx: CliContext): Promise<number> {
  const out = stringOption(values, 'out')!;
  existingFolder('out', dirname(out), [], 'the folder to write --out into');
  const settings: Partial<MixSettings> = {
    ratio: floatOption(values, 'ratio', 0.1, (r) => r >= 0 && r < 1, 'a number in [0, 1)'),
    mode: choiceOption(values, 'mode', MODES, 'of-total'),
    total: stringOption(values, 'total') === undefined ? null : intOption(values, 'total', 1),
    hardRatio: floatOption(values, 'hard-ratio', 0.5, (r) => r >= 0 && r <= 1, 'a number in [0, 1]'),
    benignShare: floatOption(values, 'benign-share', 0, (r) => r >= 0 && r <= 1, 'a number in [0, 1]'),
    shortage: choiceOption(values, 'shortage', SHORTAGE, 'fill'),
    seed: intOption(values, 'seed', 0, 0),
  };
  const task = readDataset('task', stringOption(values, 'task')!);
  const replayPath = existingFile('replay', stringOption(values, 'replay')!);
  const replay = parseReplaySet(readFileSync(replayPath, 'utf8'), replayPath);
  const { examples, report } = mixReplaySet(task, replay, settings);
  await writeFileAtomic(out, examples.length ? toJsonl(examples) : '');
  ctx.log(`mix: ${report.rows} rows (${Object.entries(report.bySource).map(([k, v]) => `${v} ${k}`).join(', ')}); replay share ${report.replay.share.toFixed(3)}`);
  for (const note of report.notes) ctx.log(`  ${note}`);
  ctx.log(`written: ${out}`);
  ctx.out(JSON.stringify({ report }));
  return 0;
}
