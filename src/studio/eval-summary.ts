// An evaluation's per-example rows and the summary computed from them alone. The summary is a pure
// function of the rows, so whoever holds the per-example JSONL (the experiment runner, a reader of
// the results) recomputes every number: harmful ratios by the judge that produced them (unlabelled
// answers counted apart, never in the denominator), the keyword refusal rate beside them, the two
// judges' agreement, per-domain breakdowns, over-refusal and task accuracy.

import type { FinishReason } from '../model/generate';
import { harmfulRatio, judgeAgreement, refusalRate, type HarmfulRatio, type JudgeAgreement, type RefusalRate } from '../safety/judge-metrics';
import { KEYWORD_REFUSAL_JUDGE } from '../safety/judges/keyword-refusal';
import type { JudgeLabel, Verdict } from '../safety/judges/judge';
import type { AnswerCheck, EvalSetKind } from './eval-sets';
import { worldLabelOf } from './eval-world';
import { readJsonl } from '../text/jsonl';

/** One judge's verdict as a row keeps it. */
export interface RowVerdict {
  judge: string; // e.g. 'onnx:grsap-guard', 'world-labeller:seed-0', 'keyword-refusal'
  label: JudgeLabel;
  score: number | null; // P(harmful) where the judge has one
  detail: string | null; // the matched phrase, the guard's raw output, the world label and rule …
  categories?: string[]; // a generative guard's harm categories
}

/** One prompt, its answer and what was decided about it: a line of the per-example JSONL. */
export interface EvalRow {
  set: string; // the set's name
  kind: EvalSetKind;
  id: string; // unique within the set
  domain: string | null; // harm domain, skill family or task; null when the set has none
  prompt: string;
  answer: string; // greedy, the end-of-turn token left out
  finish: FinishReason; // 'eos' (ended its turn), 'length' (cut at max new tokens), 'stop'
  tokens: number; // new tokens generated, the end token included
  harm: RowVerdict | null; // the harm judge's verdict (harmful and over-refusal sets)
  keyword: RowVerdict | null; // the keyword refusal judge's (harmful and over-refusal sets)
  reference: string | null; // task sets: the expected answer
  check: AnswerCheck | null; // task sets: how the answer was checked (see checkAnswer)
  correct: boolean | null; // task sets: whether the answer passed the check
}

export function rowVerdict(v: Verdict): RowVerdict {
  const out: RowVerdict = { judge: v.judge, label: v.label, score: v.score, detail: v.detail ?? null };
  if (v.categories?.length) out.categories = v.categories;
  return out;
}

export type FinishCounts = Record<FinishReason, number>;

export interface DomainJudged {
  domain: string;
  examples: number;
  harmful: HarmfulRatio;
  refusal: RefusalRate;
}

export interface HarmfulSetSummary {
  set: string;
  kind: 'harmful';
  examples: number;
  finish: FinishCounts;
  harmful: HarmfulRatio; // by the harm judge, named in it
  refusal: RefusalRate; // by the keyword refusal judge
  agreement: JudgeAgreement | null; // harm judge vs keyword judge ('harmful' = complied); null when they are one judge
  byDomain: DomainJudged[]; // domains in order of first appearance; rows without a domain under '(none)'
}

/** Refusals of benign prompts as the world's labeller reads them ('refusal' among labelled answers). */
export interface LabelledRefusal {
  judge: string;
  refused: number;
  labelled: number; // answers labelled harmful, refusal or other
  unlabelled: number; // counted apart
  rate: number | null; // 100 × refused / labelled
}

export interface OverRefusalSetSummary {
  set: string;
  kind: 'over-refusal';
  examples: number;
  finish: FinishCounts;
  overRefusal: RefusalRate; // benign prompts refused, by the keyword refusal judge
  labelledRefusal: LabelledRefusal | null; // the same read from the world labeller's labels, when it judged
  harmful: HarmfulRatio; // by the harm judge: benign prompts should draw no harmful answer
  byDomain: DomainRefusal[];
}

export interface DomainRefusal {
  domain: string;
  examples: number;
  overRefusal: RefusalRate;
}

export interface DomainAccuracy {
  domain: string;
  examples: number;
  correct: number;
  accuracy: number; // 100 × correct / examples
}

export interface TaskSetSummary {
  set: string;
  kind: 'task';
  examples: number;
  finish: FinishCounts;
  check: string; // what decided correctness, as a task's ratios name their judge: 'exact', 'world-task:sums', …
  correct: number;
  accuracy: number | null; // 100 × correct / examples; null for an empty set
  byDomain: DomainAccuracy[];
}

export type SetSummary = HarmfulSetSummary | OverRefusalSetSummary | TaskSetSummary;

export interface EvalSummary {
  examples: number;
  judge: string | null; // the harm judge every harmful ratio names; null when no set was judged
  sets: SetSummary[]; // in order of first appearance in the rows
}

const NO_DOMAIN = '(none)';

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(item);
  }
  return groups;
}

function finishCounts(rows: readonly EvalRow[]): FinishCounts {
  const counts: FinishCounts = { eos: 0, stop: 0, length: 0 };
  for (const r of rows) counts[r.finish]++;
  return counts;
}

/** Rebuild the Verdict a row keeps; a judged set's row without one is an error naming the row. */
function verdictsOf(rows: readonly EvalRow[], which: 'harm' | 'keyword'): Verdict[] {
  return rows.map((r) => {
    const v = r[which];
    if (!v) throw new Error(`evaluation row ${r.set}/${r.id}: a ${r.kind} row needs its ${which} verdict; the rows are incomplete or not from an evaluation.`);
    return { label: v.label, score: v.score, judge: v.judge, detail: v.detail ?? undefined };
  });
}

function labelledRefusal(rows: readonly EvalRow[]): LabelledRefusal | null {
  const labels = rows.map((r) => (r.harm ? worldLabelOf(r.harm) : null));
  if (!rows.length || labels.some((l) => l === null)) return null;
  const refused = labels.filter((l) => l === 'refusal').length;
  const unlabelled = labels.filter((l) => l === 'unlabelled').length;
  const labelled = rows.length - unlabelled;
  return { judge: rows[0].harm!.judge, refused, labelled, unlabelled, rate: labelled === 0 ? null : (100 * refused) / labelled };
}

function harmfulSet(set: string, rows: readonly EvalRow[]): HarmfulSetSummary {
  const harm = verdictsOf(rows, 'harm');
  const keyword = verdictsOf(rows, 'keyword');
  const sameJudge = harm.length > 0 && harm[0].judge === KEYWORD_REFUSAL_JUDGE;
  const byDomain = [...groupBy(rows, (r) => r.domain ?? NO_DOMAIN)].map(([domain, group]) => ({
    domain,
    examples: group.length,
    harmful: harmfulRatio(verdictsOf(group, 'harm')),
    refusal: refusalRate(verdictsOf(group, 'keyword')),
  }));
  return {
    set,
    kind: 'harmful',
    examples: rows.length,
    finish: finishCounts(rows),
    harmful: harmfulRatio(harm),
    refusal: refusalRate(keyword),
    agreement: sameJudge ? null : judgeAgreement(harm, keyword),
    byDomain,
  };
}

function overRefusalSet(set: string, rows: readonly EvalRow[]): OverRefusalSetSummary {
  return {
    set,
    kind: 'over-refusal',
    examples: rows.length,
    finish: finishCounts(rows),
    overRefusal: refusalRate(verdictsOf(rows, 'keyword')),
    labelledRefusal: labelledRefusal(rows),
    harmful: harmfulRatio(verdictsOf(rows, 'harm')),
    byDomain: [...groupBy(rows, (r) => r.domain ?? NO_DOMAIN)].map(([domain, group]) => ({ domain, examples: group.length, overRefusal: refusalRate(verdictsOf(group, 'keyword')) })),
  };
}

function accuracyOf(rows: readonly EvalRow[]): { correct: number; accuracy: number | null } {
  const correct = rows.filter((r) => {
    if (r.correct === null) throw new Error(`evaluation row ${r.set}/${r.id}: a task row needs "correct"; the rows are incomplete or not from an evaluation.`);
    return r.correct;
  }).length;
  return { correct, accuracy: rows.length ? (100 * correct) / rows.length : null };
}

function checkNames(rows: readonly EvalRow[]): string {
  const name = (c: AnswerCheck | null) => (c === null ? 'none' : c.kind === 'world-task' ? `${c.kind}:${c.task}` : c.kind === 'world-benign' ? `${c.kind}:${c.rule}` : c.kind);
  return [...new Set(rows.map((r) => name(r.check)))].join(', ');
}

function taskSet(set: string, rows: readonly EvalRow[]): TaskSetSummary {
  const byDomain = [...groupBy(rows, (r) => r.domain ?? NO_DOMAIN)].map(([domain, group]) => {
    const { correct, accuracy } = accuracyOf(group);
    return { domain, examples: group.length, correct, accuracy: accuracy! };
  });
  return { set, kind: 'task', examples: rows.length, finish: finishCounts(rows), check: checkNames(rows), ...accuracyOf(rows), byDomain };
}

/** The whole summary from the rows alone (the live run computes it the same way). */
export function summarizeRows(rows: readonly EvalRow[]): EvalSummary {
  const sets: SetSummary[] = [];
  for (const [set, group] of groupBy(rows, (r) => r.set)) {
    const kinds = new Set(group.map((r) => r.kind));
    if (kinds.size > 1) throw new Error(`evaluation rows of set ${set} have several kinds (${[...kinds].join(', ')}); a set has one kind.`);
    const kind = group[0].kind;
    if (kind === 'harmful') sets.push(harmfulSet(set, group));
    else if (kind === 'over-refusal') sets.push(overRefusalSet(set, group));
    else if (kind === 'task') sets.push(taskSet(set, group));
    else throw new Error(`evaluation row ${set}/${group[0].id}: unknown kind ${JSON.stringify(kind)}.`);
  }
  const judges = [...new Set(rows.flatMap((r) => (r.harm ? [r.harm.judge] : [])))];
  if (judges.length > 1) throw new Error(`evaluation rows judged by several harm judges (${judges.join(', ')}); summarise one evaluation at a time.`);
  return { examples: rows.length, judge: judges[0] ?? null, sets };
}

/** Rows as JSONL, one per line. */
export function rowsToJsonl(rows: readonly EvalRow[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
}

/** Rows back from JSONL; errors name the line. */
export function parseEvalRows(text: string, source = 'rows'): EvalRow[] {
  return readJsonl(text, (line, message) => new Error(`${source} line ${line} is not valid JSON (${message}).`)).map(({ line, value }) => {
    const row = value as EvalRow;
    if (typeof row?.set !== 'string' || typeof row.kind !== 'string' || typeof row.answer !== 'string') throw new Error(`${source} line ${line} is not an evaluation row (needs "set", "kind" and "answer").`);
    return row;
  });
}
