// Evaluation sets: what a model is asked, and how an answer is checked. Three kinds: harmful
// prompts (judged: the harmful ratio), over-refusal prompts (benign requests that look harmful:
// the share wrongly refused) and tasks (each item with a reference answer and a checker). Users
// bring their sets as JSONL or CSV (AdvBench's `goal,target` layout included); the embedded world
// brings its own (eval-world.ts). Sets are only ever generated from, never trained on.

import { DatasetError, parseCsv } from '../text/datasets';
import { checkBenignAnswer, checkTaskAnswer, type BenignCheckRule, type TaskName } from '../world';
import { readJsonl } from '../text/jsonl';

export type EvalSetKind = 'harmful' | 'over-refusal' | 'task';

/**
 * How a task answer is checked against its reference. User sets pick `exact` (the whole answer,
 * whitespace runs made one space, case kept) or `contains` (the reference appears in the answer,
 * ignoring case); the world's tasks and benign-skill checks use the world's own rules.
 */
export type AnswerCheck =
  | { kind: 'exact' }
  | { kind: 'contains' }
  | { kind: 'world-task'; task: TaskName }
  | { kind: 'world-benign'; rule: BenignCheckRule; expected: string };

export const USER_CHECKS = ['exact', 'contains'] as const;
export type UserCheck = (typeof USER_CHECKS)[number];

export interface EvalItem {
  id: string; // unique within its set: the world's index, or the file's id field / line
  prompt: string; // the user turn the model answers
  domain: string | null; // what the set breaks down by: harm domain, skill family, task; null when none
  reference: string | null; // tasks: the expected answer
  check: AnswerCheck | null; // tasks: how the answer is checked
}

export interface EvalSet {
  name: string; // e.g. 'harmful/dev', 'over-refusal', 'profiles/validation', or a file name
  kind: EvalSetKind;
  items: EvalItem[];
}

const squashSpaces = (s: string) => s.trim().replace(/\s+/g, ' ');

/** Whether `answer` passes `check` against `reference`. */
export function checkAnswer(check: AnswerCheck, reference: string, answer: string): boolean {
  switch (check.kind) {
    case 'exact':
      return squashSpaces(answer) === squashSpaces(reference);
    case 'contains':
      return squashSpaces(answer).toLowerCase().includes(squashSpaces(reference).toLowerCase());
    case 'world-task':
      return checkTaskAnswer(check.task, reference, answer);
    case 'world-benign':
      return checkBenignAnswer({ rule: check.rule, expected: check.expected }, answer);
  }
}

/**
 * At most `limit` items, spread over domains in turn (the first of each domain, then the second …),
 * so a short look at a set ordered by domain still sees every domain. Order within a domain is kept.
 */
export function limitSet(set: EvalSet, limit: number): EvalSet {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limitSet: the limit must be a positive integer, got ${limit}.`);
  if (set.items.length <= limit) return set;
  const byDomain = new Map<string, EvalItem[]>();
  for (const item of set.items) {
    const key = item.domain ?? '';
    if (!byDomain.has(key)) byDomain.set(key, []);
    byDomain.get(key)!.push(item);
  }
  const queues = [...byDomain.values()];
  const picked: EvalItem[] = [];
  for (let round = 0; picked.length < limit; round++) {
    for (const queue of queues) if (round < queue.length && picked.length < limit) picked.push(queue[round]);
  }
  return { ...set, items: picked };
}

// ---- user files ----------------------------------------------------------------------------------

/** Fields read as the prompt, first match wins (`goal` is AdvBench's; `target` there is ignored). */
const PROMPT_FIELDS = ['prompt', 'goal', 'instruction', 'question', 'request', 'text'];
const DOMAIN_FIELDS = ['domain', 'category', 'type']; // XSTest's prompt types are in `type`
const REFERENCE_FIELDS = ['answer', 'expected', 'reference', 'output', 'completion', 'response'];

interface RawRecord {
  where: string; // 'line 3' or 'row 3'
  value: unknown; // a parsed JSON value, or a CSV row as an object of strings
}

function recordsOf(text: string, fileName: string): RawRecord[] {
  const clean = text.replace(/^\uFEFF/, '');
  if (fileName.toLowerCase().endsWith('.csv')) {
    const rows = parseCsv(clean, fileName);
    if (!rows.length) return [];
    const header = rows[0].map((h) => h.trim().toLowerCase());
    return rows.slice(1).map((cells, i) => {
      // Row numbers count the header as row 1: the line number when no field spans lines.
      const where = `row ${i + 2}`;
      if (cells.length !== header.length) throw new DatasetError(fileName, where, `has ${cells.length} fields but the header (${header.join(',')}) has ${header.length}.`);
      return { where, value: Object.fromEntries(header.map((h, j) => [h, cells[j]])) };
    });
  }
  if (!/\.(jsonl|ndjson)$/i.test(fileName)) throw new DatasetError(fileName, '', 'unknown file type for an evaluation set. Use .jsonl (one JSON record per line) or .csv (with a header row).');
  return readJsonl(clean, (line, message) => new DatasetError(fileName, `line ${line}`, `is not valid JSON: ${message}.`)).map(({ line, value }) => ({ where: `line ${line}`, value }));
}

function firstString(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** The prompt of a record: a JSON string, a prompt-like field, or the last user turn of "messages". */
function promptOf(value: unknown, fileName: string, where: string): { prompt: string; record: Record<string, unknown> } {
  if (typeof value === 'string' && value.trim() !== '') return { prompt: value, record: {} };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new DatasetError(fileName, where, 'expected a JSON object or a JSON string.');
  const record = value as Record<string, unknown>;
  const field = firstString(record, PROMPT_FIELDS);
  if (field !== undefined) {
    // An Alpaca record's input belongs to its instruction, as datasets.ts joins them for training.
    const input = field === record.instruction && typeof record.input === 'string' && record.input.trim() ? `\n\n${record.input}` : '';
    return { prompt: `${field}${input}`, record };
  }
  if (Array.isArray(record.messages)) {
    const users = record.messages.filter((m) => (m as { role?: unknown })?.role === 'user');
    const last = users.at(-1) as { content?: unknown } | undefined;
    if (typeof last?.content === 'string' && last.content.trim() !== '') return { prompt: last.content, record };
  }
  const keys = Object.keys(record).slice(0, 8).join(', ') || '(none)';
  throw new DatasetError(fileName, where, `no prompt among the fields ${keys}. Give one of ${PROMPT_FIELDS.map((f) => `"${f}"`).join(', ')}, or "messages" with a user turn.`);
}

function idOf(record: Record<string, unknown>, where: string): string {
  const id = record.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : where;
}

function assertUniqueIds(items: EvalItem[], fileName: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new DatasetError(fileName, '', `the id ${JSON.stringify(item.id)} appears twice; ids must be unique within a set (or leave them out).`);
    seen.add(item.id);
  }
}

/**
 * Harmful or over-refusal prompts from JSONL (`{"prompt"}`, `{"goal"}`, `{"instruction"}`, …,
 * `{"messages"}` or a JSON string per line) or CSV with a header (AdvBench's `goal,target`: the
 * goal is the prompt). An optional `domain`, `category` or `type` field gives the per-domain breakdown,
 * an optional `id` names the row in the results (else its line).
 */
export function parsePromptSet(text: string, fileName: string, kind: 'harmful' | 'over-refusal', name = fileName): EvalSet {
  const items = recordsOf(text, fileName).map(({ where, value }) => {
    const { prompt, record } = promptOf(value, fileName, where);
    return { id: idOf(record, where), prompt, domain: firstString(record, DOMAIN_FIELDS) ?? null, reference: null, check: null };
  });
  if (!items.length) throw new DatasetError(fileName, '', 'holds no prompts.');
  assertUniqueIds(items, fileName);
  return { name, kind, items };
}

/**
 * Task items from JSONL (or CSV): a prompt as for parsePromptSet and an expected answer (`answer`,
 * `expected`, `reference`, `output`, `completion` or `response`; with `messages`, the last
 * assistant turn). Every item is checked with `check`.
 */
export function parseTaskSet(text: string, fileName: string, check: UserCheck, name = fileName): EvalSet {
  const items = recordsOf(text, fileName).map(({ where, value }) => {
    const { prompt, record } = promptOf(value, fileName, where);
    let reference = firstString(record, REFERENCE_FIELDS);
    if (reference === undefined && Array.isArray(record.messages)) {
      const last = record.messages.filter((m) => (m as { role?: unknown })?.role === 'assistant').at(-1) as { content?: unknown } | undefined;
      if (typeof last?.content === 'string' && last.content.trim() !== '') reference = last.content;
    }
    if (reference === undefined) throw new DatasetError(fileName, where, `no expected answer. Give one of ${REFERENCE_FIELDS.map((f) => `"${f}"`).join(', ')}, or "messages" ending with an assistant turn.`);
    return { id: idOf(record, where), prompt, domain: firstString(record, ['task', ...DOMAIN_FIELDS]) ?? null, reference, check: { kind: check } as AnswerCheck };
  });
  if (!items.length) throw new DatasetError(fileName, '', 'holds no task items.');
  assertUniqueIds(items, fileName);
  return { name, kind: 'task', items };
}
