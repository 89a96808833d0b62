// Dataset readers: JSONL, JSON arrays and CSV files in the common instruction-tuning layouts,
// all turned into chat examples. Every error names the file, the record and what to do.
//
// Layouts recognised per record (first match wins):
//   messages      {"messages": [{"role": "user", "content": "…"}, …]}      (OpenAI / HF chat)
//   conversations {"conversations": [{"from": "human", "value": "…"}, …]} (ShareGPT)
//   alpaca        {"instruction": "…", "input": "…", "output": "…"}
//   prompt        {"prompt": "…", "completion": "…"} or {"question": "…", "answer": "…"}

import { readJsonl } from './jsonl';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

export interface ChatExample {
  messages: ChatMessage[]; // ends with an assistant turn for training data
  meta?: Record<string, string>; // other string fields of the record (e.g. a label or a domain)
}

export type DatasetLayout = 'messages' | 'conversations' | 'alpaca' | 'prompt';

export class DatasetError extends Error {
  constructor(source: string, where: string, message: string) {
    super(`${source}${where ? ` (${where})` : ''}: ${message}`);
    this.name = 'DatasetError';
  }
}

const SHAREGPT_ROLES: Record<string, Role> = { human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', system: 'system', model: 'assistant' };
const KNOWN = new Set(['messages', 'conversations', 'instruction', 'input', 'output', 'prompt', 'completion', 'question', 'answer', 'response']);

function str(v: unknown): v is string {
  return typeof v === 'string';
}

/** Convert one record to a chat example. */
export function recordToExample(record: unknown, source: string, where: string): ChatExample {
  return readRecord(record, source, where).example;
}

/** One record as a chat example, with the layout it was read in. */
function readRecord(record: unknown, source: string, where: string): { example: ChatExample; layout: DatasetLayout } {
  const fail = (m: string) => new DatasetError(source, where, m);
  if (record === null || typeof record !== 'object' || Array.isArray(record)) throw fail('each record must be a JSON object.');
  const r = record as Record<string, unknown>;
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k) && (str(v) || typeof v === 'number')) meta[k] = String(v);
  const withMeta = (messages: ChatMessage[]): ChatExample => (Object.keys(meta).length ? { messages, meta } : { messages });

  if (Array.isArray(r.messages)) {
    const messages = r.messages.map((m, i) => {
      const msg = m as Record<string, unknown>;
      if (!msg || !str(msg.role) || !str(msg.content)) throw fail(`messages[${i}] needs a string "role" and "content".`);
      if (!['system', 'user', 'assistant'].includes(msg.role)) throw fail(`messages[${i}].role "${msg.role}" is not system, user or assistant.`);
      return { role: msg.role as Role, content: msg.content };
    });
    if (!messages.length) throw fail('"messages" is empty.');
    return { example: withMeta(messages), layout: 'messages' };
  }
  if (Array.isArray(r.conversations)) {
    const messages = r.conversations.map((m, i) => {
      const msg = m as Record<string, unknown>;
      const role = msg && str(msg.from) ? SHAREGPT_ROLES[msg.from] : undefined;
      if (!role || !str(msg.value)) throw fail(`conversations[${i}] needs "from" (human, gpt or system) and a string "value".`);
      return { role, content: msg.value };
    });
    if (!messages.length) throw fail('"conversations" is empty.');
    return { example: withMeta(messages), layout: 'conversations' };
  }
  if (str(r.instruction)) {
    const output = r.output ?? r.response;
    if (!str(output)) throw fail('an Alpaca record needs a string "output".');
    const input = str(r.input) && r.input.trim() ? `\n\n${r.input}` : '';
    return {
      example: withMeta([
        { role: 'user', content: `${r.instruction}${input}` },
        { role: 'assistant', content: output },
      ]),
      layout: 'alpaca',
    };
  }
  const prompt = r.prompt ?? r.question;
  const completion = r.completion ?? r.answer ?? r.response;
  if (str(prompt) && str(completion)) {
    return {
      example: withMeta([
        { role: 'user', content: prompt },
        { role: 'assistant', content: completion },
      ]),
      layout: 'prompt',
    };
  }
  const keys = Object.keys(r).slice(0, 8).join(', ') || '(none)';
  throw fail(`unknown layout with fields ${keys}. Use "messages", "conversations", Alpaca ("instruction"/"input"/"output") or "prompt"/"completion".`);
}

/** Parse CSV (RFC 4180: quoted fields, doubled quotes, newlines inside quotes) into rows. */
export function parseCsv(text: string, source = 'CSV'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new DatasetError(source, `line ${line}`, 'a quoted field is never closed.');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

function csvRecords(text: string, source: string): Record<string, string>[] {
  const rows = parseCsv(text, source);
  if (!rows.length) return [];
  const header = rows[0].map((h) => h.trim());
  return rows.slice(1).map((cells, i) => {
    if (cells.length !== header.length) {
      throw new DatasetError(source, `row ${i + 2}`, `has ${cells.length} fields but the header has ${header.length}.`);
    }
    return Object.fromEntries(header.map((h, j) => [h, cells[j]]));
  });
}

/** Read a dataset file's text; the format comes from the file name (.jsonl, .json, .csv). */
export function parseDataset(text: string, fileName: string): ChatExample[] {
  return readDataset(text, fileName).examples;
}

/** As parseDataset, with how many records came in each layout and where in the file each example was ('line 3', 'row 2'). */
export function readDataset(text: string, fileName: string): { examples: ChatExample[]; layouts: Partial<Record<DatasetLayout, number>>; where: string[] } {
  const read = readRecords(text, fileName);
  const layouts: Partial<Record<DatasetLayout, number>> = {};
  for (const r of read) layouts[r.layout] = (layouts[r.layout] ?? 0) + 1;
  return { examples: read.map((r) => r.example), layouts, where: read.map((r) => r.where) };
}

function readRecords(text: string, fileName: string): { example: ChatExample; layout: DatasetLayout; where: string }[] {
  const at = (where: string) => (r: { example: ChatExample; layout: DatasetLayout }) => ({ ...r, where });
  const lower = fileName.toLowerCase();
  const text0 = text.replace(/^\uFEFF/, '');
  if (lower.endsWith('.csv')) return csvRecords(text0, fileName).map((r, i) => at(`row ${i + 2}`)(readRecord(r, fileName, `row ${i + 2}`)));
  if (lower.endsWith('.json')) {
    let data: unknown;
    try {
      data = JSON.parse(text0);
    } catch (e) {
      throw new DatasetError(fileName, '', `is not valid JSON (${(e as Error).message}). For one record per line use .jsonl.`);
    }
    if (!Array.isArray(data)) throw new DatasetError(fileName, '', 'a .json dataset must be an array of records.');
    return data.map((r, i) => at(`record ${i + 1}`)(readRecord(r, fileName, `record ${i + 1}`)));
  }
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) {
    const records = readJsonl(text0, (line, message) => new DatasetError(fileName, `line ${line}`, `is not valid JSON: ${message}.`));
    return records.map(({ line, value }) => at(`line ${line}`)(readRecord(value, fileName, `line ${line}`)));
  }
  throw new DatasetError(fileName, '', 'unknown file type. Use .jsonl (one JSON record per line), .json (an array) or .csv (with a header row).');
}

/** Serialise chat examples as JSONL in the "messages" layout (what exports and replay sets use). */
export function toJsonl(examples: ChatExample[]): string {
  return examples.map((e) => JSON.stringify(e.meta ? { messages: e.messages, ...e.meta } : { messages: e.messages })).join('\n') + '\n';
}
