// Evaluation of a loaded model, with whatever adapter is attached: each set's prompts are answered
// greedily as a user turn of the chat template, in batches; harmful and over-refusal answers are
// judged by the harm judge given and by the keyword refusal judge beside it; task answers are
// checked against their references. Every prompt and answer is kept as a row, and the summary is
// computed from the rows alone (eval-summary.ts). A batch is generated, judged and checked before
// the next starts, so a cancelled evaluation keeps every row it finished.

import { ChatTemplateError } from '../text/chat-template';
import { KeywordRefusalJudge } from '../safety/judges/keyword-refusal';
import type { Judge, JudgePair } from '../safety/judges/judge';
import { checkAnswer, type EvalItem, type EvalSet } from './eval-sets';
import { rowVerdict, summarizeRows, type EvalRow, type EvalSummary } from './eval-summary';
import { generateTexts, type TextGeneration } from './inference';
import { JobCancelledError, progressOf, type JobProgress } from './jobs';
import type { LoadedModel } from './load-model';

export interface EvaluateSettings {
  maxNewTokens: number; // per answer: 128
  batchSize: number; // prompts per generate call: 16
}

export const DEFAULT_EVALUATE_SETTINGS: EvaluateSettings = { maxNewTokens: 128, batchSize: 16 };

export interface EvaluateOptions extends Partial<EvaluateSettings> {
  harmJudge: Judge; // names every harmful ratio; the keyword refusal judge always runs beside it
  signal?: AbortSignal; // stops after the batch in flight; the rows finished so far are kept
  /** Progress in prompts answered (phase 'evaluate'); the payload holds the rows the batch finished. */
  onProgress?: (p: JobProgress<EvalRow[]>) => void;
}

/** What the run was: enough to tell two evaluations apart, not needed to recompute the summary. */
export interface EvaluationRecord {
  model: string; // the loaded model's source id
  fingerprint: string; // of the base weights as loaded
  adaptation: { kind: 'lora'; r: number; alpha: number } | { kind: 'full' } | null; // what was attached to the base weights during the run
  judge: { name: string; measures: string };
  keywordJudge: { name: string; measures: string };
  settings: EvaluateSettings & { greedy: true };
  sets: { name: string; kind: string; items: number }[];
  seconds: number;
  complete: boolean; // false when cancelled: the rows are those finished before
}

export interface EvaluationResult {
  rows: EvalRow[];
  summary: EvalSummary; // summarizeRows(rows)
  record: EvaluationRecord;
}

function checkSets(sets: readonly EvalSet[]): void {
  const names = new Set<string>();
  for (const set of sets) {
    if (names.has(set.name)) throw new Error(`evaluate: two sets are named ${JSON.stringify(set.name)}; give each set its own name.`);
    names.add(set.name);
    if (!set.items.length) throw new Error(`evaluate: set ${set.name} has no items.`);
    for (const item of set.items) {
      if (set.kind === 'task' && (item.reference === null || item.check === null)) throw new Error(`evaluate: task set ${set.name} item ${item.id} has no reference answer or no check.`);
    }
  }
}

/**
 * Saved rows judged again: every answer, check and field kept, the harm and keyword verdicts of the
 * harmful and over-refusal rows replaced by `harmJudge`'s and the keyword refusal judge's. For
 * comparing judges, or a retrained guard, on answers already generated.
 */
export async function rejudgeRows(rows: readonly EvalRow[], harmJudge: Judge, signal?: AbortSignal): Promise<EvalRow[]> {
  const copies = rows.map((r) => ({ ...r }));
  await judgeRows(copies.filter((r) => r.kind !== 'task'), harmJudge, new KeywordRefusalJudge(), signal);
  return copies;
}

/** Sets the harm and keyword verdicts of judged (harmful or over-refusal) rows. */
async function judgeRows(rows: EvalRow[], harmJudge: Judge, keywordJudge: Judge, signal?: AbortSignal): Promise<void> {
  const pairs: JudgePair[] = rows.map((r) => ({ request: r.prompt, response: r.answer }));
  const harm = await harmJudge.judge(pairs, { signal });
  const keyword = harmJudge.name === keywordJudge.name ? harm : await keywordJudge.judge(pairs, { signal });
  rows.forEach((r, i) => {
    r.harm = rowVerdict(harm[i]);
    r.keyword = rowVerdict(keyword[i]);
  });
}

/** Rows of one batch: the answers, then verdicts (judged sets) or checks (tasks). */
async function finishBatch(set: EvalSet, items: readonly EvalItem[], answers: readonly TextGeneration[], harmJudge: Judge, keywordJudge: Judge, signal?: AbortSignal): Promise<EvalRow[]> {
  const rows: EvalRow[] = items.map((item, i) => ({
    set: set.name,
    kind: set.kind,
    id: item.id,
    domain: item.domain,
    prompt: item.prompt,
    answer: answers[i].completion,
    finish: answers[i].finish,
    tokens: answers[i].tokens.length,
    harm: null,
    keyword: null,
    reference: item.reference,
    check: item.check,
    correct: set.kind === 'task' ? checkAnswer(item.check!, item.reference!, answers[i].completion) : null,
  }));
  if (set.kind !== 'task') await judgeRows(rows, harmJudge, keywordJudge, signal);
  return rows;
}

/**
 * Evaluate `loaded` on `sets` (see the file comment). Cancelled through `signal`, it throws a
 * JobCancelledError whose `partial` is the EvaluationResult of the rows finished so far.
 */
export async function evaluateModel(loaded: LoadedModel, sets: readonly EvalSet[], options: EvaluateOptions): Promise<EvaluationResult> {
  const settings: EvaluateSettings = {
    maxNewTokens: options.maxNewTokens ?? DEFAULT_EVALUATE_SETTINGS.maxNewTokens,
    batchSize: options.batchSize ?? DEFAULT_EVALUATE_SETTINGS.batchSize,
  };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`evaluate: ${name} must be a positive integer, got ${value}.`);
  }
  if (!loaded.template) throw new ChatTemplateError(`${loaded.id} has no chat template; evaluation asks each prompt as a user turn. Evaluate a chat model (one whose tokenizer_config.json has a chat_template).`);
  checkSets(sets);
  const { harmJudge, signal } = options;
  const keywordJudge = new KeywordRefusalJudge();
  const total = sets.reduce((n, s) => n + s.items.length, 0);
  const started = performance.now();
  const rows: EvalRow[] = [];
  const attached = loaded.model.attachment;
  const adaptation: EvaluationRecord['adaptation'] =
    attached === null ? null : attached.kind === 'lora' ? { kind: 'lora', r: attached.adapter.config.r, alpha: attached.adapter.config.alpha } : { kind: 'full' };
  const result = (complete: boolean): EvaluationResult => ({
    rows: [...rows],
    summary: summarizeRows(rows),
    record: {
      model: loaded.id,
      fingerprint: loaded.fingerprint,
      adaptation,
      judge: { name: harmJudge.name, measures: harmJudge.measures },
      keywordJudge: { name: keywordJudge.name, measures: keywordJudge.measures },
      settings: { ...settings, greedy: true },
      sets: sets.map((s) => ({ name: s.name, kind: s.kind, items: s.items.length })),
      seconds: (performance.now() - started) / 1000,
      complete,
    },
  });

  options.onProgress?.(progressOf('evaluate', 'items', 0, total, started));
  try {
    for (const set of sets) {
      for (let start = 0; start < set.items.length; start += settings.batchSize) {
        signal?.throwIfAborted();
        const items = set.items.slice(start, start + settings.batchSize);
        const answers = await generateTexts(
          loaded,
          items.map((it) => it.prompt),
          { chat: true, maxNewTokens: settings.maxNewTokens, sampling: { temperature: 0 }, batchSize: settings.batchSize, signal },
        );
        const finished = await finishBatch(set, items, answers, harmJudge, keywordJudge, signal);
        rows.push(...finished);
        options.onProgress?.(progressOf('evaluate', 'items', rows.length, total, started, finished));
      }
    }
  } catch (e) {
    if (signal?.aborted) throw new JobCancelledError(result(false));
    throw e;
  }
  return result(true);
}
