// The user's own dataset in the app: every layout read, the split sizes and their seeded shuffle
// (disjoint, covering, reproducible), and errors that name the line.
import { describe, expect, it } from 'vitest';
import { readUserDataset, splitSizes } from '../../src/studio/user-data';
import { userExamples } from '../../src/ui/user-dataset';

const alpaca = (i: number) => JSON.stringify({ instruction: `Say ${i}`, input: '', output: `${i}` });

describe('user dataset', () => {
  it('reads each layout and counts it', () => {
    const text = [
      alpaca(1),
      JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }),
      JSON.stringify({ conversations: [{ from: 'human', value: 'a' }, { from: 'gpt', value: 'b' }] }),
      JSON.stringify({ prompt: 'p', completion: 'c' }),
    ].join('\n');
    const ds = readUserDataset('mine.jsonl', text);
    expect(ds.layouts).toEqual({ alpaca: 1, messages: 1, conversations: 1, prompt: 1 });
    expect(ds.examples[0].messages).toEqual([{ role: 'user', content: 'Say 1' }, { role: 'assistant', content: '1' }]);
    expect(ds.split).toEqual({ train: [0, 1, 2, 3], validation: [], test: [] }); // too few to split
    const csv = readUserDataset('mine.csv', 'instruction,input,output\nAdd 2 and 2,,4\n"Say ""hi""",,hi\n');
    expect(csv.layouts).toEqual({ alpaca: 2 });
    expect(csv.examples[1].messages[0].content).toBe('Say "hi"');
  });

  it('splits by a seeded shuffle: disjoint, covering, the same for the same seed', () => {
    expect(splitSizes(9)).toEqual({ train: 9, validation: 0, test: 0 });
    expect(splitSizes(10)).toEqual({ train: 8, validation: 1, test: 1 });
    expect(splitSizes(1000)).toEqual({ train: 800, validation: 100, test: 100 });
    const text = Array.from({ length: 50 }, (_, i) => alpaca(i)).join('\n');
    const a = readUserDataset('d.jsonl', text, 3);
    const all = [...a.split.train, ...a.split.validation, ...a.split.test].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([a.split.train.length, a.split.validation.length, a.split.test.length]).toEqual([40, 5, 5]);
    expect(readUserDataset('d.jsonl', text, 3).split).toEqual(a.split);
    expect(readUserDataset('d.jsonl', text, 4).split.test).not.toEqual(a.split.test);
    expect(a.split.test).not.toEqual([0, 1, 2, 3, 4]); // shuffled, not the file's first records
    expect(userExamples(a, 'test').map((e) => e.messages[1].content)).toEqual(a.split.test.map(String));
  });

  it('names the line of a broken record, and says what a record needs', () => {
    const text = [alpaca(1), alpaca(2), '{"instruction": "x", "output": ', alpaca(4)].join('\n');
    expect(() => readUserDataset('mine.jsonl', text)).toThrow(/^mine\.jsonl \(line 3\): is not valid JSON/);
    expect(() => readUserDataset('mine.jsonl', `${alpaca(1)}\n{"text": "only"}`)).toThrow(/mine\.jsonl \(line 2\): unknown layout with fields text/);
    expect(() => readUserDataset('mine.csv', 'instruction,output\na,b,c\n')).toThrow(/mine\.csv \(row 2\): has 3 fields but the header has 2/);
    expect(() => readUserDataset('mine.jsonl', '\n\n')).toThrow(/holds no examples/);
    expect(() => readUserDataset('mine.txt', 'hello')).toThrow(/unknown file type/);
    const userLast = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    expect(() => readUserDataset('mine.jsonl', `${alpaca(1)}\n\n${userLast}`)).toThrow(/^mine\.jsonl \(line 3\): must end with a non-empty assistant answer/);
  });
});
