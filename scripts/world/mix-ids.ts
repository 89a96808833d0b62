// Writes the rows one experiment arm would train on, as token ids with assistant masks, for the
// PyTorch mirror (organism.py --train-ids): the task's first 400 train examples mixed with a replay
// set by GR-SAP's own mixing step (safety/mixing.ts), in the given mode, at ratio r and seed.
//
//   node --import ./src/cli/register.mjs scripts/world/mix-ids.ts WORLD_DIR REPLAY.jsonl OUT.jsonl \
//     [--task chat] [--ratio 0.1] [--mode of-total|on-top] [--seed 0] [--examples 400]
//
// WORLD_DIR is a `npm run cli -- world --out DIR --ids` export (its tokenizer and task split);
// REPLAY.jsonl a replay set the experiment runner wrote (replay/seed-S.jsonl).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mixReplay, type MixMode } from '../../src/safety/mixing';
import { parseReplaySet } from '../../src/studio/replay-set';
import { ChatTemplate, encodeChatWithAssistantMask } from '../../src/text/chat-template';
import { parseDataset } from '../../src/text/datasets';
import { TextTokenizer } from '../../src/text/tokenizer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { task: { type: 'string', default: 'chat' }, ratio: { type: 'string', default: '0.1' }, mode: { type: 'string', default: 'of-total' }, seed: { type: 'string', default: '0' }, examples: { type: 'string', default: '400' } },
});
const [worldDir, replayPath, outPath] = positionals;
if (!worldDir || !replayPath || !outPath) {
  process.stderr.write('usage: mix-ids.ts WORLD_DIR REPLAY.jsonl OUT.jsonl [--task chat] [--ratio 0.1] [--mode of-total|on-top] [--seed 0] [--examples 400]\n');
  process.exit(2);
}

const read = (path: string) => readFileSync(path, 'utf8');
const tokenizer = TextTokenizer.fromFiles({
  tokenizerJson: JSON.parse(read(join(worldDir, 'tokenizer/tokenizer.json'))),
  tokenizerConfig: JSON.parse(read(join(worldDir, 'tokenizer/tokenizer_config.json'))),
});
const template = ChatTemplate.fromTokenizer(tokenizer);
const taskPath = join(worldDir, `tasks/${values.task}/train.jsonl`);
const task = parseDataset(read(taskPath), taskPath).slice(0, Number(values.examples));
const pairs = parseReplaySet(read(replayPath), replayPath);
const mixed = mixReplay(
  { task, hard: pairs.filter((p) => p.kind === 'hard'), easy: pairs.filter((p) => p.kind === 'easy') },
  { ratio: Number(values.ratio), mode: values.mode as MixMode, seed: Number(values.seed) },
);
const lines = mixed.examples.map((e) => {
  const encoded = encodeChatWithAssistantMask(tokenizer, template, e.messages);
  return JSON.stringify({ ids: encoded.ids, mask: Array.from(encoded.mask), source: e.meta?.mix_source ?? 'task' });
});
writeFileSync(outPath, `${lines.join('\n')}\n`);
process.stdout.write(`${JSON.stringify({ rows: mixed.report.rows, bySource: mixed.report.bySource, notes: mixed.report.notes })}\n`);
