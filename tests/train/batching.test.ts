import { describe, expect, it } from 'vitest';
import { collate, collatePaddingFree, IGNORE_TARGET, learnedPositions, packedInputs } from '../../src/model/batch';
import { planEpoch, prepareExamples, sortStepRows } from '../../src/train/batching';

describe('batching', () => {
  const ex = (n: number, promptLen: number) => ({ ids: Array.from({ length: n }, (_, i) => 10 + i), lossMask: Array.from({ length: n }, (_, i) => (i >= promptLen ? 1 : 0)) });

  it('shifts targets by one and learns only masked tokens; pads right', () => {
    const batch = collate([ex(5, 3), ex(3, 1)], [0, 1], 0);
    expect(batch.T).toBe(5);
    expect(Array.from(batch.inputIds)).toEqual([10, 11, 12, 13, 14, 10, 11, 12, 0, 0]);
    const I = IGNORE_TARGET;
    expect(Array.from(batch.targets)).toEqual([I, I, 13, 14, I, 11, 12, I, I, I]);
    expect(batch.countedTokens).toBe(4);
    expect(batch.lengths).toEqual([5, 3]);
    // The rows lm_head and the loss run on in training: the learned positions and their targets.
    const learned = learnedPositions(batch);
    expect(Array.from(learned.rows)).toEqual([2, 3, 5, 6]);
    expect(Array.from(learned.targets)).toEqual([13, 14, 11, 12]);
    expect(() => learnedPositions({ ...batch, countedTokens: 5 })).toThrow(/counts 5 learned tokens but its targets hold 4/);
  });

  it('truncates to maxLength, counts it, and drops examples left with nothing to learn', () => {
    const { examples, report } = prepareExamples([ex(10, 2), ex(10, 8), ex(4, 1)], 6);
    expect(report).toEqual({ kept: 2, truncated: 2, droppedNoTarget: 1 });
    expect(examples[0].ids).toHaveLength(6);
  });

  it('plans each epoch as a seeded permutation of length-bucketed batches', () => {
    const lengths = Array.from({ length: 100 }, (_, i) => (i * 37) % 101);
    const a = planEpoch(lengths, { batchSize: 4, seed: 1, bucketBatches: 5 });
    expect(a).toEqual(planEpoch(lengths, { batchSize: 4, seed: 1, bucketBatches: 5 }));
    expect(a).not.toEqual(planEpoch(lengths, { batchSize: 4, seed: 2, bucketBatches: 5 }));
    expect(a.flat().sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
    // Bucketing keeps rows of a batch close in length: far less spread than random batches.
    const spread = (bs: number[][]) => bs.reduce((s, b) => s + Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i])), 0);
    expect(spread(a)).toBeLessThan(spread(planEpoch(lengths, { batchSize: 4, seed: 1, bucketBatches: 1 })) / 3);
  });

  it('by default draws random batches, so a few rows longer than the rest are spread, not grouped', () => {
    // 90 task rows of 40 tokens and 10 replay rows of 60: bucketing puts the replay rows into a few batches.
    const lengths = Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? 60 : 40));
    const batchesWithReplay = (bs: number[][]) => bs.filter((b) => b.some((i) => lengths[i] === 60)).length;
    const plain = planEpoch(lengths, { batchSize: 10, seed: 3 });
    expect(plain).toEqual(planEpoch(lengths, { batchSize: 10, seed: 3, bucketBatches: 1 }));
    expect(batchesWithReplay(plain)).toBeGreaterThanOrEqual(5);
    expect(batchesWithReplay(planEpoch(lengths, { batchSize: 10, seed: 3, bucketBatches: 10 }))).toBe(1);
  });

  it('sorts a step\'s rows by length and cuts them again into micro-batches (the same rows)', () => {
    const lengths = [9, 3, 7, 3, 1, 8];
    expect(sortStepRows([[0, 1], [2, 3], [4, 5]], lengths, 2)).toEqual([[4, 1], [3, 2], [5, 0]]);
    expect(sortStepRows([[0, 1, 2], [3, 4]], lengths, 3)).toEqual([[4, 1, 3], [2, 0]]); // a short last micro-batch stays last
  });
});

describe('padding-free batches', () => {
  it('lay the examples side by side: collate\'s targets, positions from 0, each example\'s own keys, dropout rows of the padded batch', () => {
    const examples = [
      { ids: [5, 6, 7], lossMask: [0, 1, 1] },
      { ids: [8, 9], lossMask: [0, 1] },
      { ids: [1, 2, 3, 4], lossMask: [0, 0, 1, 0] },
    ];
    const padded = collate(examples, [2, 0, 1], 0);
    const free = collatePaddingFree(examples, [2, 0, 1]);
    expect(free.B).toBe(1);
    expect(free.T).toBe(9);
    expect([...free.inputIds]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(free.countedTokens).toBe(padded.countedTokens);
    const learned = (b: typeof free) => [...b.targets].filter((t) => t !== IGNORE_TARGET);
    expect(learned(free)).toEqual(learned(padded)); // the same targets in the same order
    expect(free.packed).toEqual({ lengths: [4, 3, 2], paddedT: 4 });
    const { positions, keyRanges, dropoutRows } = packedInputs(free.packed!);
    expect([...positions]).toEqual([0, 1, 2, 3, 0, 1, 2, 0, 1]);
    expect([...keyRanges]).toEqual([0, 4, 0, 4, 0, 4, 0, 4, 4, 7, 4, 7, 4, 7, 7, 9, 7, 9]);
    expect([...dropoutRows]).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]); // b·4 + t: where collate puts each token
  });
});
