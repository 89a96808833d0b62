// JSON Lines: one JSON value per line. Every reader of the project's JSONL files (datasets,
// evaluation sets and rows, labelled pairs, prompt and pair files) goes through `readJsonl`, so a
// byte-order mark, CRLF line ends and blank lines are handled alike and every error names its line.

export interface JsonlRecord {
  line: number; // 1-based line number in the text
  value: unknown;
}

/**
 * The records of JSONL text, blank lines skipped. A line that is not valid JSON throws the error
 * `invalid(line, message)` returns, so each caller words it for its own input.
 */
export function readJsonl(text: string, invalid: (line: number, message: string) => Error): JsonlRecord[] {
  const records: JsonlRecord[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      if (!raw.trim()) return;
      try {
        records.push({ line: i + 1, value: JSON.parse(raw) });
      } catch (e) {
        throw invalid(i + 1, (e as Error).message);
      }
    });
  return records;
}
