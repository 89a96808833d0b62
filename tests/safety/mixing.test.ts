// Mixing replay into task data: the counts of both modes, the benign share and the hard ratio inside
// the replay, shortages, seeded reproducibility, the messages layout with each row's source, and
// the errors a user can act on.

import { describe, expect, it } from 'vitest';
import { mixReplay, type MixInput } from '../../src/safety/mixing';
import { replayPairToExample } from '../../src/safety/replay-pair';
import { parseDataset, toJsonl, type ChatExample } from '../../src/text/datasets';
import { pair, pairs } from './helpers/fake-replay';

function taskData(n: number): ChatExample[] {
  return Array.from({ length: n }, (_, i) => ({
    messages: [
      { role: 'user', content: `what is ${i} + 1?` },
      { role: 'assistant', content: `${i + 1}` },
    ],
    meta: { id: `t${i}`, source: 'my-dataset' },
  }));
}

const input = (task = 100, hard = 20, easy = 20, benign = 0): MixInput => ({ task: taskData(task), hard: pairs('hard', hard), easy: pairs('easy', easy), benign: pairs('benign', benign) });
const sources = (rows: ChatExample[]) => rows.map((r) => r.meta!.mix_source);
const count = (rows: ChatExample[], source: string) => sources(rows).filter((s) => s === source).length;

describe('mixing replay into task data', () => {
  it("of a fixed total (the paper's default): r·N replay rows at the hard ratio, the rest task rows", () => {
    const { examples, report } = mixReplay(input());
    expect(examples).toHaveLength(100);
    expect(count(examples, 'task')).toBe(90);
    expect(count(examples, 'replay-hard')).toBe(5);
    expect(count(examples, 'replay-easy')).toBe(5);
    expect(report.bySource).toEqual({ task: 90, 'replay-hard': 5, 'replay-easy': 5, benign: 0 });
    expect(report.replay).toEqual({ wanted: 10, taken: 10, share: 0.1 });
    expect(report.total).toBe(100);
    expect(report.notes).toEqual([]);
    expect(new Set(examples.map((e) => e.messages[0].content)).size).toBe(100); // no row twice
    expect(sources(examples.slice(0, 90)).some((s) => s !== 'task')).toBe(true); // shuffled, not concatenated
  });

  it('on top: N task rows plus round(r·N) replay rows; a given N draws that many task rows', () => {
    const onTop = mixReplay(input(), { mode: 'on-top', ratio: 0.2 });
    expect(onTop.examples).toHaveLength(120);
    expect(onTop.report.bySource).toEqual({ task: 100, 'replay-hard': 10, 'replay-easy': 10, benign: 0 });
    expect(onTop.report.replay.share).toBeCloseTo(20 / 120);
    const ofFifty = mixReplay(input(), { total: 50 });
    expect(ofFifty.report.bySource).toEqual({ task: 45, 'replay-hard': 3, 'replay-easy': 2, benign: 0 }); // round(0.5·5) = 3
  });

  it('gives a benign share of the replay rows to benign pairs', () => {
    const { report } = mixReplay(input(100, 20, 20, 20), { ratio: 0.2, benignShare: 0.25 });
    expect(report.bySource).toEqual({ task: 80, 'replay-hard': 8, 'replay-easy': 7, benign: 5 });
  });

  it('writes every row in the messages layout, the task meta kept, the replay provenance added', () => {
    const data = input(10, 2, 2);
    const { examples } = mixReplay(data, { ratio: 0.2 });
    const task = examples.find((e) => e.meta!.mix_source === 'task')!;
    expect(task.meta).toMatchObject({ source: 'my-dataset', mix_source: 'task' });
    expect(task.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    const hard = examples.find((e) => e.meta!.mix_source === 'replay-hard')!;
    const original = data.hard.find((p) => p.source.request === hard.messages[0].content)!;
    expect(hard).toEqual(replayPairToExample(original));
    expect(hard.messages).toEqual([
      { role: 'user', content: original.source.request },
      { role: 'assistant', content: original.response },
    ]);
    expect(hard.meta).toEqual({ domain: 'violence', mix_source: 'replay-hard', kind: 'hard', revised: 'true', judge: 'test:first-word', judge_label: 'safe', judge_score: '0.05', seed: String(original.seed) });
    // The JSONL reads back through the dataset reader with every row's source.
    const back = parseDataset(toJsonl(examples), 'mix.jsonl');
    expect(back.map((e) => e.meta!.mix_source)).toEqual(sources(examples));
    expect(back).toEqual(examples);
  });

  it('is reproducible with a seed, and another seed draws and orders differently', () => {
    const data = input();
    const a = toJsonl(mixReplay(data, { seed: 7 }).examples);
    expect(toJsonl(mixReplay(data, { seed: 7 }).examples)).toBe(a);
    const b = mixReplay(data, { seed: 8 }).examples;
    expect(toJsonl(b)).not.toBe(a);
    expect(count(b, 'task')).toBe(90);
  });

  it('with r = 0 gives the task data alone, shuffled', () => {
    const { examples, report } = mixReplay({ task: taskData(12), hard: [], easy: [] }, { ratio: 0 });
    expect(examples).toHaveLength(12);
    expect(report.replay.taken).toBe(0);
    expect(examples.map((e) => e.meta!.id).sort()).toEqual(taskData(12).map((e) => e.meta!.id).sort());
    expect(examples.map((e) => e.meta!.id)).not.toEqual(taskData(12).map((e) => e.meta!.id));
  });
});

describe('mixing with too few replay pairs', () => {
  it("'fill': easy pairs stand in for missing hard ones, and the notes say so", () => {
    const { report } = mixReplay(input(100, 1, 20));
    expect(report.bySource).toEqual({ task: 90, 'replay-hard': 1, 'replay-easy': 9, benign: 0 });
    expect(report.notes).toEqual(['1 hard pairs for the 5 wanted (5 hard + 5 easy of 10): all 1 taken, 4 more easy pairs fill the gap (hard share 0.10 instead of 0.50).']);
  });

  it("'fill': task rows never stand in for replay; the mix is smaller and says its real share", () => {
    const { examples, report } = mixReplay(input(100, 2, 2));
    expect(report.bySource).toEqual({ task: 90, 'replay-hard': 2, 'replay-easy': 2, benign: 0 });
    expect(examples).toHaveLength(94);
    expect(report.replay).toEqual({ wanted: 10, taken: 4, share: 4 / 94 });
    expect(report.notes[0]).toMatch(/hold 4 pairs for the 10 replay rows wanted .* the mix has 94 rows and a replay share of 0.043/);
  });

  it("'keep-ratio': the replay share stays r and the task part shrinks", () => {
    const { report } = mixReplay(input(100, 2, 20), { shortage: 'keep-ratio' });
    // 2 hard allow 4 safety rows at 0.5; round(0.1·t) ≤ 4 up to t = 44.
    expect(report.bySource).toEqual({ task: 40, 'replay-hard': 2, 'replay-easy': 2, benign: 0 });
    expect(report.notes[0]).toMatch(/the task part shrinks to 40 rows \(of 90\)/);
    expect(() => mixReplay(input(100, 0, 20), { shortage: 'keep-ratio' })).toThrow(/'keep-ratio' cannot keep the asked shares .* not one replay row fits/);
  });

  it("'error': throws with the counts", () => {
    expect(() => mixReplay(input(100, 2, 2), { shortage: 'error' })).toThrow(/10 replay rows wanted \(r = 0.1 of N = 100\) but the pools hold 2 hard, 2 easy and 0 benign pairs/);
    expect(() => mixReplay(input(100, 1, 20), { shortage: 'error' })).toThrow(/need 5 hard and 5 easy, but there are 1 hard and 20 easy/);
  });
});

describe('mixing errors', () => {
  it('names the input or setting to fix', () => {
    expect(() => mixReplay(input(0))).toThrow(/the task data is empty/);
    expect(() => mixReplay({ task: taskData(5), hard: [], easy: [] })).toThrow(/mixing ratio is 0.1 but there are no replay pairs/);
    for (const ratio of [1, 1.5, -0.1, Number.NaN]) expect(() => mixReplay(input(), { ratio }), String(ratio)).toThrow(/ratio r must be in \[0, 1\)/);
    expect(() => mixReplay(input(), { total: 200 })).toThrow(/a total N of 200 at r = 0.1 needs 180 task examples, but there are 100/);
    expect(() => mixReplay(input(), { total: 0 })).toThrow(/total N must be a positive integer/);
    expect(() => mixReplay(input(), { benignShare: 2 })).toThrow(/benignShare must be in \[0, 1\]/);
    expect(() => mixReplay(input(), { ratoi: 0.1 } as never)).toThrow(/unknown setting "ratoi"/);
    expect(() => mixReplay({ task: taskData(5), hard: [pair('easy')], easy: [] })).toThrow(/the hard pool's item 0 is a pair of kind easy/);
  });
});
