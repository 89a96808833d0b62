// readJsonl, the one JSON Lines reader: BOM, CRLF and blank lines handled; records keep their
// line numbers; a bad line throws the caller's error with its line.

import { describe, expect, it } from 'vitest';
import { readJsonl } from '../../src/text/jsonl';

describe('readJsonl', () => {
  const invalid = (line: number, message: string) => new Error(`file.jsonl line ${line}: ${message}`);

  it('reads records with their 1-based line numbers, skipping blank lines', () => {
    expect(readJsonl('\uFEFF{"a":1}\r\n\r\n  \n"two"\n[3]', invalid)).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: 'two' },
      { line: 5, value: [3] },
    ]);
    expect(readJsonl('', invalid)).toEqual([]);
  });

  it("throws the caller's error naming the bad line", () => {
    expect(() => readJsonl('{"a":1}\n\n{"a":', invalid)).toThrow(/^file\.jsonl line 3: /);
  });
});
