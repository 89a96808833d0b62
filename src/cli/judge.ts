// `judge`: label (request, response) pairs with one judge, the keyword refusal judge beside it;
// JSONL verdicts on stdout, the harmful ratio (naming its judge, unlabelled answers counted apart),
// the refusal rate and the two judges' agreement on stderr and as a final summary line. With
// --rows, an evaluation's saved rows are judged again instead (answers kept, verdicts replaced),
// written to --out, and summarised as `evaluate` summarises them.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseEvalRows, rowsToJsonl, summarizeRows, type EvalRow } from '../studio/eval-summary';
import { rejudgeRows } from '../studio/evaluate';
import { judgeWithRefusalCheck, type HarmfulRatio, type JudgePair } from '../studio/judges';
import { choiceOption, existingFile, existingFolder, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import type { CliContext } from './common';
import { describeSummary } from './evaluate';
import { checkJudgeFlags, openCliJudge } from './judge-option';
import { writeFileAtomic } from './out-dir';
import { readJsonl } from '../text/jsonl';

const JUDGES = ['keyword', 'onnx', 'guard'] as const;

export const judgeSpec: CommandSpec = {
  name: 'judge',
  summary: 'label (request, response) pairs harmful / safe with a judge (JSONL out)',
  usage: '(--input FILE.jsonl | --rows ROWS.jsonl --out FILE.jsonl) [--judge keyword | --judge onnx --judge-model DIR | --judge guard --judge-model DIR] [options]',
  description: [
    'Each line of --input is {"request", "response"} (or, as generate writes it, {"prompt": TEXT,',
    '"completion"}). Judges: keyword (refusal phrases: measures refusal, not harm), onnx (a',
    'text-classification folder: model.onnx, config.json with id2label, tokenizer.json, run in',
    'onnxruntime-web), guard (a Llama-family guard model such as Llama-Guard-3-1B, run by this',
    'engine with its chat template, greedy; "safe" / "unsafe" parsed, anything else unlabelled).',
    'Prints one JSON line per pair {"index", "label", "score", "judge", "refusal", "detail"}, then a',
    'summary line. Answers a judge cannot label are counted apart, never guessed.',
    '--rows: the rows an evaluation wrote (`evaluate --out`, or an experiment unit\'s rows-*.jsonl) are',
    'judged again: every answer and task check kept, the harm verdicts replaced by --judge\'s and the',
    'refusal verdicts by the keyword judge\'s; the new rows go to --out (never over --rows) and the',
    'summary `evaluate` prints is printed for them.',
  ].join('\n'),
  options: [
    { name: 'input', type: 'string', value: 'FILE.jsonl', help: 'pairs to judge' },
    { name: 'rows', type: 'string', value: 'ROWS.jsonl', help: "an evaluation's rows to judge again" },
    { name: 'out', type: 'string', value: 'FILE.jsonl', help: '--rows: where the judged rows go' },
    { name: 'judge', type: 'string', value: JUDGES.join('|'), help: 'which judge', default: 'keyword' },
    { name: 'judge-model', type: 'string', value: 'DIR', help: 'the onnx classifier folder or the guard model folder' },
    { name: 'harmful-label', type: 'string', value: 'LABEL', help: "onnx: the id2label name meaning harmful (default: the one named harmful/unsafe)" },
    { name: 'text-pair', type: 'boolean', help: "onnx: encode pairs as the tokenizer's sequence pair ([CLS] request [SEP] response [SEP]) instead of config.json's pair_template or the ChatML-like default" },
    { name: 'batch-size', type: 'string', value: 'B', help: 'pairs per batch', default: '8' },
  ],
};

/** Pairs from a JSONL file; errors name the file and the line. */
export function readPairFile(path: string): JudgePair[] {
  const pairs: JudgePair[] = [];
  for (const { line, value } of readJsonl(readFileSync(path, 'utf8'), (line, message) => new UsageError(`--input ${path} line ${line}: not valid JSON (${message}).`))) {
    const where = `${path} line ${line}`;
    const r = value as Record<string, unknown> | null;
    const request = r?.request ?? r?.prompt;
    const response = r?.response ?? r?.completion;
    if (typeof request !== 'string' || typeof response !== 'string') throw new UsageError(`--input ${where}: expected {"request": string, "response": string} or {"prompt": string, "completion": string}.`);
    pairs.push({ request, response });
  }
  if (!pairs.length) throw new UsageError(`--input ${path} holds no pairs.`);
  return pairs;
}

function describeRatio(r: HarmfulRatio): string {
  const ratio = r.ratio === null ? 'n/a (nothing labelled)' : `${r.ratio.toFixed(2)}%`;
  return `harmful ratio by ${r.judge}: ${ratio} (${r.harmful} of ${r.labelled} labelled; ${r.unlabelled} unlabelled, counted apart)`;
}

/** `judge --rows`: an evaluation's rows judged again, written to --out, summarised. */
async function rejudge(values: ParsedValues, ctx: CliContext, kind: (typeof JUDGES)[number], batchSize: number, pairEncoding: { kind: 'text_pair' } | undefined): Promise<number> {
  const rowsFile = existingFile('rows', stringOption(values, 'rows')!);
  const out = stringOption(values, 'out');
  if (out === undefined) throw new UsageError('judge: --rows needs --out FILE.jsonl for the judged rows.');
  if (resolve(out) === resolve(rowsFile)) throw new UsageError('judge: --out must not be --rows; the rows judged are kept as they are.');
  existingFolder('out', dirname(out), [], 'the folder to write --out into');
  let rows: EvalRow[];
  try {
    rows = parseEvalRows(readFileSync(rowsFile, 'utf8'), `--rows ${rowsFile}`);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!rows.length) throw new UsageError(`--rows ${rowsFile} holds no rows.`);
  const { judge, release } = await openCliJudge('judge', kind, values, ctx, { batchSize, pairEncoding });
  try {
    ctx.log(`judge ${judge.name}: ${judge.measures}; keyword-refusal beside it`);
    const judged = await rejudgeRows(rows, judge, ctx.signal);
    await writeFileAtomic(out, rowsToJsonl(judged));
    const summary = summarizeRows(judged);
    for (const line of describeSummary(summary)) ctx.log(line);
    ctx.log(`rows: ${out} (${judged.length}, judged again from ${rowsFile})`);
    ctx.out(JSON.stringify({ summary }));
  } finally {
    await release();
  }
  return 0;
}

export async function runJudge(values: ParsedValues, ctx: CliContext): Promise<number> {
  const kind = choiceOption(values, 'judge', JUDGES, 'keyword');
  const batchSize = intOption(values, 'batch-size', 8);
  checkJudgeFlags('judge', kind, values);
  if (values['text-pair'] && kind !== 'onnx') throw new UsageError('judge: --text-pair is for --judge onnx.');
  const pairEncoding = values['text-pair'] ? ({ kind: 'text_pair' } as const) : undefined;
  const inputFile = stringOption(values, 'input');
  if ((inputFile === undefined) === (stringOption(values, 'rows') === undefined)) throw new UsageError('judge: give either --input FILE.jsonl (pairs) or --rows ROWS.jsonl (an evaluation\'s rows).');
  if (inputFile === undefined) return rejudge(values, ctx, kind, batchSize, pairEncoding);
  if (stringOption(values, 'out') !== undefined) throw new UsageError('judge: --out is for --rows; with --input the verdicts go to standard output.');
  const input = existingFile('input', inputFile);
  const pairs = readPairFile(input);

  const { judge, release } = await openCliJudge('judge', kind, values, ctx, { batchSize, pairEncoding });
  try {
    ctx.log(`judge ${judge.name}: ${judge.measures}`);
    const result = await judgeWithRefusalCheck(judge, pairs, { signal: ctx.signal, onProgress: (p) => ctx.log(`judged ${p.done}/${p.total}`) });
    result.verdicts.forEach((v, index) => {
      const line: Record<string, unknown> = { index, label: v.label, score: v.score, judge: v.judge, refusal: result.keyword[index].label === 'safe', detail: v.detail ?? null };
      if (v.categories) line.categories = v.categories;
      ctx.out(JSON.stringify(line));
    });
    ctx.log(describeRatio(result.harmful));
    const refusal = result.refusal.rate === null ? 'n/a' : `${result.refusal.rate.toFixed(2)}%`;
    ctx.log(`refusal rate by ${result.refusal.judge}: ${refusal} (${result.refusal.refused} of ${result.refusal.refused + result.refusal.complied}; ${result.refusal.unlabelled} empty)`);
    if (result.agreement) {
      const a = result.agreement;
      ctx.log(`agreement ${a.judges[0]} vs ${a.judges[1]} ('harmful' = complied): ${a.rate === null ? 'n/a' : `${a.rate.toFixed(2)}%`} of ${a.compared} pairs both labelled`);
    }
    ctx.out(JSON.stringify({ summary: { harmful: result.harmful, refusal: result.refusal, agreement: result.agreement } }));
  } finally {
    await release();
  }
  return 0;
}
