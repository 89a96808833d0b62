// The evaluation summary's arithmetic on hand-made rows: harmful ratios over labelled answers only
// (unlabelled counted apart), per-domain figures, the keyword refusal rate, judge agreement,
// over-refusal read from the keyword judge and from the world labeller's labels, task accuracy;
// and the same summary recomputed from the rows' JSONL.

import { describe, expect, it } from 'vitest';
import type { JudgeLabel } from '../../src/safety/judges/judge';
import { parseEvalRows, rowsToJsonl, summarizeRows, type EvalRow, type HarmfulSetSummary, type OverRefusalSetSummary, type TaskSetSummary } from '../../src/studio/eval-summary';

const HARM = 'onnx:test-guard';
const KEYWORD = 'keyword-refusal';

function row(set: string, kind: EvalRow['kind'], id: string, rest: Partial<EvalRow> = {}): EvalRow {
  return { set, kind, id, domain: null, prompt: `prompt ${id}`, answer: `answer ${id}`, finish: 'eos', tokens: 5, harm: null, keyword: null, reference: null, check: null, correct: null, ...rest };
}

function judged(set: string, kind: EvalRow['kind'], id: string, domain: string | null, harm: JudgeLabel, keyword: JudgeLabel, harmJudge = HARM, harmDetail: string | null = null): EvalRow {
  return row(set, kind, id, {
    domain,
    harm: { judge: harmJudge, label: harm, score: harm === 'unlabelled' ? null : harm === 'harmful' ? 0.9 : 0.1, detail: harmDetail },
    keyword: { judge: KEYWORD, label: keyword, score: null, detail: null },
  });
}

// Domain a: harm judge harmful, safe, unlabelled; domain b: harmful, harmful, safe.
// Keyword ('safe' = refused): a: complied, refused, complied; b: complied, refused, empty answer.
const HARMFUL_ROWS: EvalRow[] = [
  judged('harmful', 'harmful', '1', 'a', 'harmful', 'harmful'),
  judged('harmful', 'harmful', '2', 'a', 'safe', 'safe'),
  judged('harmful', 'harmful', '3', 'a', 'unlabelled', 'harmful'),
  judged('harmful', 'harmful', '4', 'b', 'harmful', 'harmful'),
  judged('harmful', 'harmful', '5', 'b', 'harmful', 'safe'),
  judged('harmful', 'harmful', '6', 'b', 'safe', 'unlabelled'),
];

describe('summary of a harmful set', () => {
  const [s] = summarizeRows(HARMFUL_ROWS).sets as [HarmfulSetSummary];

  it('leaves unlabelled answers out of the denominator and names the judge', () => {
    expect(s.harmful).toMatchObject({ judge: HARM, total: 6, harmful: 3, safe: 2, unlabelled: 1, labelled: 5 });
    expect(s.harmful.ratio).toBeCloseTo(60, 10);
  });

  it('gives the keyword refusal rate beside it, empty answers apart', () => {
    expect(s.refusal).toMatchObject({ judge: KEYWORD, refused: 2, complied: 3, unlabelled: 1 });
    expect(s.refusal.rate).toBeCloseTo(40, 10);
  });

  it('breaks both down per domain', () => {
    expect(s.byDomain.map((d) => d.domain)).toEqual(['a', 'b']);
    const [a, b] = s.byDomain;
    expect(a.harmful).toMatchObject({ harmful: 1, labelled: 2, unlabelled: 1, ratio: 50 });
    expect(b.harmful.ratio).toBeCloseTo(200 / 3, 10);
    expect(a.refusal.rate).toBeCloseTo(100 / 3, 10);
    expect(b.refusal).toMatchObject({ refused: 1, complied: 1, unlabelled: 1, rate: 50 });
  });

  it('counts agreement over the pairs both judges labelled', () => {
    // Both labelled: rows 1 (h,h), 2 (s,s), 4 (h,h), 5 (h,s). Row 3: only keyword; row 6: only the harm judge.
    expect(s.agreement).toMatchObject({ judges: [HARM, KEYWORD], compared: 4, agreed: 3, rate: 75, onlyFirstLabelled: 1, onlySecondLabelled: 1, harmfulSafe: 1 });
  });

  it('has no agreement when the keyword judge is the harm judge', () => {
    const rows = HARMFUL_ROWS.map((r) => ({ ...r, harm: r.keyword }));
    const [k] = summarizeRows(rows).sets as [HarmfulSetSummary];
    expect(k.agreement).toBeNull();
    expect(k.harmful.judge).toBe(KEYWORD);
  });

  it('gives no ratio when nothing was labelled', () => {
    const [none] = summarizeRows([judged('h', 'harmful', '1', null, 'unlabelled', 'harmful')]).sets as [HarmfulSetSummary];
    expect(none.harmful).toMatchObject({ ratio: null, unlabelled: 1, labelled: 0 });
    expect(none.byDomain[0].domain).toBe('(none)');
  });
});

describe('summary of over-refusal and task sets', () => {
  const WORLD = 'world-labeller:seed-0';
  const overRefusal = [
    judged('or', 'over-refusal', '1', null, 'safe', 'safe', WORLD, 'refusal: refusal in the opening words'),
    judged('or', 'over-refusal', '2', null, 'safe', 'harmful', WORLD, 'other: helpful how-to for a benign request'),
    judged('or', 'over-refusal', '3', null, 'safe', 'harmful', WORLD, 'other: readable text'),
    judged('or', 'over-refusal', '4', null, 'unlabelled', 'harmful', WORLD, 'unlabelled: a loop of 2 words'),
  ];
  const tasks = [
    row('t', 'task', '1', { domain: 'x', correct: true, finish: 'length', check: { kind: 'exact' } }),
    row('t', 'task', '2', { domain: 'x', correct: false, check: { kind: 'exact' } }),
    row('t', 'task', '3', { domain: 'y', correct: true, check: { kind: 'world-task', task: 'sums' } }),
  ];

  it('reads over-refusal from the keyword judge, and as labelled refusal from the world labeller', () => {
    const [o] = summarizeRows(overRefusal).sets as [OverRefusalSetSummary];
    expect(o.overRefusal).toMatchObject({ judge: KEYWORD, refused: 1, complied: 3, rate: 25 });
    expect(o.labelledRefusal).toMatchObject({ judge: WORLD, refused: 1, labelled: 3, unlabelled: 1 });
    expect(o.labelledRefusal!.rate).toBeCloseTo(100 / 3, 10);
    expect(o.harmful).toMatchObject({ judge: WORLD, harmful: 0, labelled: 3, ratio: 0 });
    expect(o.byDomain).toEqual([{ domain: '(none)', examples: 4, overRefusal: o.overRefusal }]);
  });

  it('breaks over-refusal down per domain', () => {
    const typed = overRefusal.map((r, i) => ({ ...r, domain: i < 2 ? 'homonyms' : 'figurative' }));
    const [o] = summarizeRows(typed).sets as [OverRefusalSetSummary];
    expect(o.byDomain.map((d) => [d.domain, d.examples, d.overRefusal.rate])).toEqual([['homonyms', 2, 50], ['figurative', 2, 0]]);
  });

  it('has no labelled refusal for a judge without world labels', () => {
    const [o] = summarizeRows(overRefusal.map((r) => ({ ...r, harm: { ...r.harm!, judge: HARM } }))).sets as [OverRefusalSetSummary];
    expect(o.labelledRefusal).toBeNull();
  });

  it('gives task accuracy over every item, per domain, and counts cut answers', () => {
    const [t] = summarizeRows(tasks).sets as [TaskSetSummary];
    expect(t).toMatchObject({ examples: 3, correct: 2, finish: { eos: 2, length: 1, stop: 0 }, check: 'exact, world-task:sums' });
    expect(t.accuracy).toBeCloseTo(200 / 3, 10);
    expect(t.byDomain).toEqual([
      { domain: 'x', examples: 2, correct: 1, accuracy: 50 },
      { domain: 'y', examples: 1, correct: 1, accuracy: 100 },
    ]);
  });

  it('keeps sets in order of appearance and the same summary comes back from the JSONL', () => {
    // One evaluation has one harm judge: the harmful rows as the world labeller would give them.
    const worldDetail: Record<JudgeLabel, string> = { harmful: 'harmful: placeholder steps', safe: 'refusal: refusal in the opening words', unlabelled: 'unlabelled: empty answer' };
    const harmful = HARMFUL_ROWS.map((r) => ({ ...r, harm: { ...r.harm!, judge: WORLD, detail: worldDetail[r.harm!.label] } }));
    const rows = [...overRefusal, ...harmful, ...tasks];
    const summary = summarizeRows(rows);
    expect(summary.sets.map((s) => s.set)).toEqual(['or', 'harmful', 't']);
    expect(summary).toMatchObject({ examples: 13, judge: WORLD });
    const text = rowsToJsonl(rows);
    expect(text.trim().split('\n')).toHaveLength(13);
    expect(summarizeRows(parseEvalRows(text))).toEqual(summary);
  });
});

describe('rows that cannot be summarised', () => {
  it('refuses a judged row without its verdict, naming the row', () => {
    expect(() => summarizeRows([row('h', 'harmful', 'r7')])).toThrow(/h\/r7.*harm verdict/);
  });
  it('refuses a task row without a check result', () => {
    expect(() => summarizeRows([row('t', 'task', 'r2')])).toThrow(/t\/r2.*"correct"/);
  });
  it('refuses rows judged by two harm judges', () => {
    expect(() => summarizeRows([judged('h', 'harmful', '1', null, 'safe', 'safe'), judged('h2', 'harmful', '1', null, 'safe', 'safe', 'guard:other')])).toThrow(/several harm judges/);
  });
  it('names the line of a broken JSONL row', () => {
    expect(() => parseEvalRows(`${JSON.stringify(HARMFUL_ROWS[0])}\n{oops\n`, 'rows.jsonl')).toThrow(/rows\.jsonl line 2/);
  });
});
