// Selection at the hard ratio: the count arithmetic, each shortage policy when the hard (or easy)
// pool is too small, seeded draws without repetition.

import { describe, expect, it } from 'vitest';
import { largestAtShare, selectAtHardRatio, ShortageError, splitCounts } from '../../src/safety/hard-ratio';
import { pairs } from './helpers/fake-replay';

const NAMES = ['hard', 'easy'] as const;

describe('split counts', () => {
  it('take round(share·total) of the first pool and the rest of the second when both suffice', () => {
    expect(splitCounts(10, 0.5, [20, 20], 'fill', NAMES).taken).toEqual([5, 5]);
    expect(splitCounts(7, 0.5, [20, 20], 'fill', NAMES).taken).toEqual([4, 3]); // 3.5 rounds up
    expect(splitCounts(10, 0.3, [20, 20], 'fill', NAMES).taken).toEqual([3, 7]);
    expect(splitCounts(10, 0, [0, 20], 'error', NAMES).taken).toEqual([0, 10]);
    expect(splitCounts(10, 1, [10, 0], 'error', NAMES).taken).toEqual([10, 0]);
  });

  it("'fill' keeps the count from the other pool, and takes everything when both are short", () => {
    expect(splitCounts(10, 0.5, [3, 20], 'fill', NAMES)).toEqual({ wanted: [5, 5], available: [3, 20], taken: [3, 7] });
    expect(splitCounts(10, 0.5, [20, 2], 'fill', NAMES).taken).toEqual([8, 2]);
    expect(splitCounts(10, 0.5, [3, 4], 'fill', NAMES).taken).toEqual([3, 4]);
  });

  it("'keep-ratio' keeps the share and shrinks the count", () => {
    expect(splitCounts(10, 0.5, [3, 20], 'keep-ratio', NAMES).taken).toEqual([3, 3]);
    expect(splitCounts(10, 0.25, [1, 20], 'keep-ratio', NAMES).taken).toEqual([1, 4]); // round(0.25·5) = 1
    expect(splitCounts(10, 0.5, [0, 20], 'keep-ratio', NAMES).taken).toEqual([0, 0]);
  });

  it("'error' names the counts", () => {
    expect(() => splitCounts(10, 0.5, [3, 20], 'error', NAMES)).toThrow(ShortageError);
    expect(() => splitCounts(10, 0.5, [3, 20], 'error', NAMES)).toThrow(/need 5 hard and 5 easy, but there are 3 hard and 20 easy/);
  });
});

describe('largest total at a share', () => {
  it('is the most rows whose exact split both pools cover', () => {
    // share 0.5: t = 7 needs round(3.5) = 4 hard: too many with 3; t = 6 needs 3 + 3.
    expect(largestAtShare(0.5, 3, 20)).toBe(6);
    expect(largestAtShare(0.5, 20, 3)).toBe(7); // 4 + 3
    expect(largestAtShare(0, 5, 9)).toBe(9);
    expect(largestAtShare(1, 5, 9)).toBe(5);
    expect(largestAtShare(0.5, 0, 9)).toBe(0); // even 1 row asks round(0.5) = 1 hard
  });
});

describe('selection at the hard ratio', () => {
  const hard = pairs('hard', 6);
  const easy = pairs('easy', 30);

  it('draws round(h·total) hard and the rest easy, seeded, without repetition', () => {
    const a = selectAtHardRatio(hard, easy, 10, { seed: 1 });
    expect(a.counts.taken).toEqual([5, 5]);
    expect(a.pairs.filter((p) => p.kind === 'hard')).toHaveLength(5);
    expect(new Set(a.pairs).size).toBe(10);
    expect(a.achievedHardRatio).toBe(0.5);
    expect(a.note).toBeNull();
    expect(selectAtHardRatio(hard, easy, 10, { seed: 1 }).pairs).toEqual(a.pairs);
    const others = [2, 3, 4].map((seed) => selectAtHardRatio(hard, easy, 10, { seed }).pairs);
    expect(others.some((o) => JSON.stringify(o) !== JSON.stringify(a.pairs))).toBe(true);
    expect(selectAtHardRatio(hard, easy, 10, { hardRatio: 0.2 }).counts.taken).toEqual([2, 8]);
  });

  it('with too few hard pairs: fill takes every hard pair and more easy ones, and says so', () => {
    const s = selectAtHardRatio(hard, easy, 20);
    expect(s.counts).toEqual({ wanted: [10, 10], available: [6, 30], taken: [6, 14] });
    expect(s.pairs).toHaveLength(20);
    expect(s.achievedHardRatio).toBeCloseTo(0.3);
    expect(s.note).toBe('6 hard pairs for the 10 wanted (10 hard + 10 easy of 20): all 6 taken, 4 more easy pairs fill the gap (hard share 0.30 instead of 0.50).');
  });

  it('with too few hard pairs: keep-ratio takes fewer pairs, error throws', () => {
    const s = selectAtHardRatio(hard, easy, 20, { shortage: 'keep-ratio' });
    expect(s.counts.taken).toEqual([6, 6]);
    expect(s.achievedHardRatio).toBe(0.5);
    expect(s.note).toMatch(/the share is kept, so only 12 pairs are taken/);
    expect(() => selectAtHardRatio(hard, easy, 20, { shortage: 'error' })).toThrow(/need 10 hard and 10 easy, but there are 6 hard and 30 easy/);
  });

  it('checks its settings and its pools', () => {
    expect(() => selectAtHardRatio(hard, easy, 10, { hardRatio: 1.5 })).toThrow(/hardRatio must be in \[0, 1\]/);
    expect(() => selectAtHardRatio(hard, easy, -1)).toThrow(/total must be an integer ≥ 0/);
    expect(() => selectAtHardRatio(easy, hard, 4)).toThrow(/hard pool item 0 is a pair of kind easy/);
    expect(() => selectAtHardRatio(hard, easy, 4, { shortage: 'most' as never })).toThrow(/unknown shortage policy "most"/);
  });
});
