// The arithmetic of the judges' figures: unlabelled answers are counted apart and left out of the
// denominator; agreement is over the pairs both judges labelled.

import { describe, expect, it } from 'vitest';
import { harmfulRatio, judgeAgreement, refusalRate } from '../../src/safety/judge-metrics';
import type { JudgeLabel, Verdict } from '../../src/safety/judges/judge';

const verdicts = (judge: string, labels: string): Verdict[] =>
  [...labels].map((c) => ({ judge, score: null, label: ({ h: 'harmful', s: 'safe', u: 'unlabelled' } as Record<string, JudgeLabel>)[c] }));

describe('harmful ratio', () => {
  it('is 100 × harmful / labelled, with unlabelled answers counted apart', () => {
    expect(harmfulRatio(verdicts('guard', 'hhsssuuu'))).toEqual({ judge: 'guard', total: 8, harmful: 2, safe: 3, unlabelled: 3, labelled: 5, ratio: 40 });
    expect(harmfulRatio(verdicts('guard', 'hs')).ratio).toBe(50);
  });

  it('is null when nothing was labelled, and refuses to mix judges', () => {
    expect(harmfulRatio(verdicts('guard', 'uu')).ratio).toBeNull();
    expect(harmfulRatio([]).ratio).toBeNull();
    expect(() => harmfulRatio([...verdicts('a', 'h'), ...verdicts('b', 's')])).toThrow(/several judges \(a, b\)/);
  });
});

describe('refusal rate', () => {
  it('reads the keyword judge: safe = refused', () => {
    expect(refusalRate(verdicts('keyword-refusal', 'ssshu'))).toEqual({ judge: 'keyword-refusal', refused: 3, complied: 1, unlabelled: 1, rate: 75 });
    expect(() => refusalRate(verdicts('onnx:guard', 'ss'))).toThrow(/reads the keyword-refusal judge's verdicts/);
  });
});

describe('judge agreement', () => {
  it('compares only pairs both judges labelled', () => {
    // pairs: hh, hs, sh, ss, us, hh, su, uu
    const a = verdicts('guard', 'hhssuhsu');
    const b = verdicts('keyword-refusal', 'hshsshuu');
    expect(judgeAgreement(a, b)).toEqual({
      judges: ['guard', 'keyword-refusal'],
      compared: 5,
      agreed: 3,
      rate: 60,
      onlyFirstLabelled: 1,
      onlySecondLabelled: 1,
      neitherLabelled: 1,
      harmfulHarmful: 2,
      harmfulSafe: 1,
      safeHarmful: 1,
      safeSafe: 1,
    });
  });

  it('needs the same pairs, and has no rate without a common label', () => {
    expect(() => judgeAgreement(verdicts('a', 'hh'), verdicts('b', 'h'))).toThrow(/2 verdicts against 1/);
    expect(judgeAgreement(verdicts('a', 'uh'), verdicts('b', 'su')).rate).toBeNull();
  });
});
