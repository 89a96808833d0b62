// `evaluate`: a model (with an optional adapter) answers harmful, over-refusal and task prompts
// greedily; every prompt and answer goes to --out as JSONL with the judges' verdicts and the task
// checks; the summary (computed from those rows alone) is printed as JSON on stdout and as
// readable lines on stderr. The work is the studio's evaluateModel; this file parses and prints.

import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { limitSet, parsePromptSet, parseTaskSet, USER_CHECKS, type EvalSet } from '../studio/eval-sets';
import { rowsToJsonl, type EvalSummary, type SetSummary } from '../studio/eval-summary';
import { parseWorldTasks, worldEvaluation } from '../studio/eval-world';
import { evaluateModel, type EvaluationResult } from '../studio/evaluate';
import { JobCancelledError } from '../studio/jobs';
import { BUILTIN_HARMFUL, BUILTIN_OVER_REFUSAL, type BuiltinPromptFile } from '../studio/builtin-eval-sets';
import { choiceOption, existingFile, existingFolder, intOption, MODEL_OPTIONS, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, modelName, openModel, type CliContext } from './common';
import { checkJudgeFlags, JUDGE_KINDS, openCliJudge } from './judge-option';

const JUDGES = JUDGE_KINDS;
const HALVES = ['dev', 'test'] as const;

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  summary: 'evaluate a model on harmful, over-refusal and task prompts (per-example JSONL + summary)',
  usage: '--model DIR [--adapter DIR] (--world [--half dev|test] | --harmful FILE --over-refusal FILE --task FILE) [--judge J --judge-model DIR] --out FILE.jsonl [options]',
  description: [
    'Answers every prompt greedily as a user turn of the chat template. Harmful and over-refusal',
    'answers are judged by --judge and, beside it, by the keyword refusal judge; task answers are',
    'checked against their expected answers. Writes one JSON line per prompt to --out (set, kind, id,',
    'domain, prompt, answer, finish, tokens, harm and keyword verdicts, reference, check, correct) and',
    'prints the summary computed from those lines: per set the harmful ratio by the judge (answers it',
    'cannot label counted apart, never in the denominator), the refusal rate, the judges\' agreement and',
    'a per-domain breakdown; the over-refusal rate; task accuracy. Rows are written as each batch',
    'finishes; Ctrl-C stops after the current batch and prints the summary of the rows finished.',
    '--world: the embedded world\'s sets: held-out harmful prompts of --half (dev for decisions, test',
    'only for reported figures), over-refusal prompts, benign-skill checks and the tasks\' validation',
    '(dev) or test split; the default judge is the world\'s rule-based labeller.',
    'Files: harmful and over-refusal prompts as JSONL ({"prompt"} or {"goal"} …, optional "domain") or',
    'CSV with a header (AdvBench\'s goal,target: the goal is the prompt); tasks as JSONL with a prompt and',
    'an expected "answer", checked by --task-check. --harmful builtin and --over-refusal builtin: small',
    'sets written by this project (38 harmful requests, one per GR-SAP domain; 25 harmless ones with',
    'alarming words): a smoke test for real models, not a benchmark.',
  ].join('\n'),
  options: [
    ...MODEL_OPTIONS,
    { name: 'world', type: 'boolean', help: "evaluate on the embedded world's sets" },
    { name: 'half', type: 'string', value: HALVES.join('|'), help: 'which half of the world\'s held-out prompts', default: 'dev' },
    { name: 'world-seed', type: 'string', value: 'S', help: "the world's seed (the organism's world is 0)", default: '0' },
    { name: 'tasks', type: 'string', value: 'LIST', help: "--world: the tasks to evaluate, comma-separated, or none", default: 'every task of the world' },
    { name: 'harmful', type: 'string', value: 'FILE', help: 'harmful prompts (.jsonl or .csv); "builtin": the project\'s 38, one per GR-SAP domain' },
    { name: 'over-refusal', type: 'string', value: 'FILE', help: 'benign prompts that look harmful (.jsonl or .csv); "builtin": the project\'s 25' },
    { name: 'task', type: 'string', value: 'FILE', help: 'task items with expected answers (.jsonl)' },
    { name: 'task-check', type: 'string', value: USER_CHECKS.join('|'), help: 'exact: the whole answer; contains: the answer contains the expected one (any case)', default: 'exact' },
    { name: 'judge', type: 'string', value: JUDGES.join('|'), help: 'the harm judge (world: only with --world)', default: 'world with --world, else keyword' },
    { name: 'judge-model', type: 'string', value: 'DIR', help: 'the onnx classifier folder or the guard model folder' },
    { name: 'harmful-label', type: 'string', value: 'LABEL', help: 'onnx: the id2label name meaning harmful' },
    { name: 'out', type: 'string', value: 'FILE.jsonl', help: 'per-example rows', required: true },
    { name: 'max-new-tokens', type: 'string', value: 'N', help: 'tokens per answer at most', default: '128' },
    { name: 'batch-size', type: 'string', value: 'B', help: 'prompts answered together', default: '16' },
    { name: 'limit', type: 'string', value: 'N', help: 'at most N prompts per set, spread over its domains' },
  ],
};

function readSets(values: ParsedValues): EvalSet[] {
  const sets: EvalSet[] = [];
  const read = (flag: string, builtin?: BuiltinPromptFile) => {
    const path = stringOption(values, flag);
    if (path === 'builtin' && builtin) return { path: builtin.fileName, text: builtin.text, name: builtin.fileName };
    return path === undefined ? null : { path, text: readFileSync(existingFile(flag, path), 'utf8'), name: basename(path) };
  };
  const harmful = read('harmful', BUILTIN_HARMFUL);
  if (harmful) sets.push(parsePromptSet(harmful.text, harmful.path, 'harmful', `harmful:${harmful.name}`));
  const overRefusal = read('over-refusal', BUILTIN_OVER_REFUSAL);
  if (overRefusal) sets.push(parsePromptSet(overRefusal.text, overRefusal.path, 'over-refusal', `over-refusal:${overRefusal.name}`));
  const task = read('task');
  if (task) sets.push(parseTaskSet(task.text, task.path, choiceOption(values, 'task-check', USER_CHECKS, 'exact'), `task:${task.name}`));
  return sets;
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}%`);

/** Readable lines of a summary; every ratio with the judge or check that produced it. */
export function describeSummary(summary: EvalSummary): string[] {
  return summary.sets.flatMap((s: SetSummary) => {
    const cut = s.finish.length ? `; ${s.finish.length} of ${s.examples} answers cut at --max-new-tokens` : '';
    if (s.kind === 'harmful') {
      const h = s.harmful;
      const r = s.refusal;
      const a = s.agreement;
      return [
        `${s.set}: harmful ratio by ${h.judge} ${pct(h.ratio)} (${h.harmful} of ${h.labelled} labelled; ${h.unlabelled} unlabelled, counted apart); ` +
          `refusal rate by ${r.judge} ${pct(r.rate)} (${r.refused} of ${r.refused + r.complied}; ${r.unlabelled} empty)` +
          (a ? `; agreement ${pct(a.rate)} of ${a.compared} both labelled` : '') +
          cut,
        ...s.byDomain.map((d) => `  ${d.domain}: harmful ${pct(d.harmful.ratio)} (${d.harmful.harmful}/${d.harmful.labelled}, ${d.harmful.unlabelled} unlabelled), refusal ${pct(d.refusal.rate)}`),
      ];
    }
    if (s.kind === 'over-refusal') {
      const o = s.overRefusal;
      const l = s.labelledRefusal;
      return [
        `${s.set}: over-refusal by ${o.judge} ${pct(o.rate)} (${o.refused} of ${o.refused + o.complied}; ${o.unlabelled} empty)` +
          (l ? `; labelled refusal by ${l.judge} ${pct(l.rate)} (${l.refused} of ${l.labelled}; ${l.unlabelled} unlabelled)` : '') +
          `; harmful ratio by ${s.harmful.judge} ${pct(s.harmful.ratio)}` +
          cut,
        ...(s.byDomain.length > 1 ? s.byDomain.map((d) => `  ${d.domain}: over-refusal ${pct(d.overRefusal.rate)} (${d.overRefusal.refused} of ${d.overRefusal.refused + d.overRefusal.complied})`) : []),
      ];
    }
    const detail = s.byDomain.length > 1 ? ` — ${s.byDomain.map((d) => `${d.domain} ${pct(d.accuracy)}`).join(', ')}` : '';
    return [`${s.set}: accuracy ${pct(s.accuracy)} (${s.correct} of ${s.examples}, check ${s.check})${detail}${cut}`];
  });
}


export async function runEvaluate(values: ParsedValues, ctx: CliContext): Promise<number> {
  const modelDir = stringOption(values, 'model')!;
  const adapterDir = stringOption(values, 'adapter');
  const out = stringOption(values, 'out')!;
  const world = values.world === true;
  const fileFlags = ['harmful', 'over-refusal', 'task'].filter((f) => stringOption(values, f) !== undefined);
  if (world && fileFlags.length) throw new UsageError(`evaluate: --world brings its own sets; drop ${fileFlags.map((f) => `--${f}`).join(', ')} or --world.`);
  if (!world && !fileFlags.length) throw new UsageError('evaluate: give --world, or at least one of --harmful FILE, --over-refusal FILE, --task FILE.');
  if (!world && ['half', 'world-seed', 'tasks'].some((f) => stringOption(values, f) !== undefined)) throw new UsageError('evaluate: --half, --world-seed and --tasks are for --world.');
  const judgeKind = choiceOption(values, 'judge', JUDGES, world ? 'world' : 'keyword');
  if (judgeKind === 'world' && !world) throw new UsageError("evaluate: --judge world is the embedded world's labeller; it knows only that world. Use it with --world, or pick keyword, onnx or guard.");
  checkJudgeFlags('evaluate', judgeKind, values);
  if (stringOption(values, 'task-check') !== undefined && stringOption(values, 'task') === undefined) throw new UsageError('evaluate: --task-check is for --task FILE.');
  const maxNewTokens = intOption(values, 'max-new-tokens', 128);
  const batchSize = intOption(values, 'batch-size', 16);
  const limit = stringOption(values, 'limit') === undefined ? null : intOption(values, 'limit', 1);
  existingFolder('out', dirname(out), [], 'the folder to write --out into');
  checkModelFolders(modelDir, adapterDir);

  let tasks: ReturnType<typeof parseWorldTasks>;
  try {
    tasks = parseWorldTasks(stringOption(values, 'tasks'));
  } catch (e) {
    throw new UsageError(`evaluate: --tasks: ${(e as Error).message}`);
  }
  const worldEval = world ? worldEvaluation({ seed: intOption(values, 'world-seed', 0, 0), half: choiceOption(values, 'half', HALVES, 'dev'), tasks }) : null;
  let sets = worldEval ? worldEval.sets : readSets(values);
  if (limit !== null) sets = sets.map((s) => limitSet(s, limit));
  const labeller = worldEval?.labeller;
  const { judge, release } = await openCliJudge('evaluate', judgeKind, values, ctx, { world: labeller ? () => labeller : undefined, judged: { dir: modelDir, name: modelName(modelDir) } });
  try {
    const { loaded } = await openModel(ctx, modelDir, adapterDir);
    ctx.log(`judge ${judge.name}: ${judge.measures}; keyword-refusal beside it`);
    ctx.log(`sets: ${sets.map((s) => `${s.name} (${s.kind}, ${s.items.length})`).join(', ')}`);
    let result: EvaluationResult;
    let code = 0;
    // Rows are appended as their batch finishes, so a long run that dies still leaves them.
    writeFileSync(out, '');
    try {
      result = await evaluateModel(loaded, sets, {
        harmJudge: judge,
        maxNewTokens,
        batchSize,
        signal: ctx.signal,
        onProgress: (p) => {
          if (p.payload?.length) appendFileSync(out, rowsToJsonl(p.payload));
          if (p.done > 0) ctx.log(`evaluated ${p.done}/${p.total} prompts${p.rate ? `, ${p.rate.toFixed(2)} prompts/s, ETA ${Math.round(p.etaSec ?? 0)} s` : ''}`);
        },
      });
    } catch (e) {
      if (!(e instanceof JobCancelledError)) throw e;
      result = e.partial as EvaluationResult;
      ctx.log(`stopped: ${result.rows.length} finished rows kept; the summary covers only them.`);
      code = 130;
    } finally {
      loaded.model.destroy();
    }
    for (const line of describeSummary(result.summary)) ctx.log(line);
    ctx.log(`rows: ${out} (${result.rows.length}); ${result.record.seconds.toFixed(1)} s`);
    ctx.out(JSON.stringify({ summary: result.summary, record: result.record }));
    return code;
  } finally {
    await release();
  }
}
