import { describe, expect, it } from 'vitest';
import { parseCsv, parseDataset, toJsonl } from '../../src/text/datasets';

describe('dataset readers', () => {
  it('reads every JSONL layout into chat messages', () => {
    const jsonl = [
      JSON.stringify({ messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }, { role: 'assistant', content: 'A' }] }),
      JSON.stringify({ conversations: [{ from: 'human', value: 'hi' }, { from: 'gpt', value: 'hello' }] }),
      JSON.stringify({ instruction: 'Add', input: '2 and 3', output: '5', category: 'math' }),
      '',
      JSON.stringify({ prompt: 'p', completion: 'c' }),
      JSON.stringify({ question: 'q', answer: 'a' }),
    ].join('\n');
    const ex = parseDataset(jsonl, 'data.jsonl');
    expect(ex).toHaveLength(5);
    expect(ex[0].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(ex[1].messages).toEqual([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }]);
    expect(ex[2].messages[0].content).toBe('Add\n\n2 and 3');
    expect(ex[2].meta).toEqual({ category: 'math' });
    expect(ex[4].messages[1]).toEqual({ role: 'assistant', content: 'a' });
  });

  it('names the file and line of a bad record and says what to do', () => {
    expect(() => parseDataset('{"prompt":"x","completion":"y"}\n{oops', 'd.jsonl')).toThrow(/d\.jsonl \(line 2\): is not valid JSON/);
    expect(() => parseDataset('{"text":"x"}', 'd.jsonl')).toThrow(/d\.jsonl \(line 1\): unknown layout with fields text\. Use "messages"/);
    expect(() => parseDataset('{"messages":[{"role":"bot","content":"x"}]}', 'd.jsonl')).toThrow(/role "bot"/);
    expect(() => parseDataset('x', 'd.txt')).toThrow(/unknown file type/);
  });

  it('parses RFC 4180 CSV with quotes, doubled quotes and newlines in fields', () => {
    expect(parseCsv('a,b\n"x, y","he said ""hi"""\r\n"multi\nline",2\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'he said "hi"'],
      ['multi\nline', '2'],
    ]);
    const ex = parseDataset('prompt,completion\n"What is 2+2?",4\n', 'd.csv');
    expect(ex[0].messages).toEqual([{ role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: '4' }]);
    expect(() => parseDataset('prompt,completion\nonly-one\n', 'd.csv')).toThrow(/d\.csv \(row 2\): has 1 fields but the header has 2/);
    expect(() => parseCsv('"open', 'x.csv')).toThrow(/never closed/);
  });

  it('round-trips through JSONL in the messages layout', () => {
    const ex = parseDataset(JSON.stringify({ instruction: 'i', output: 'o', id: 7 }), 'a.jsonl');
    expect(parseDataset(toJsonl(ex), 'b.jsonl')).toEqual(ex);
  });
});
