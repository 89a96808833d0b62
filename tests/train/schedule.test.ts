import { describe, expect, it } from 'vitest';
import { learningRate, validateSchedule, warmupSteps } from '../../src/train/schedule';

describe('learning-rate schedule', () => {
  const c = { peakLr: 1, totalSteps: 100, warmupRatio: 0.1, minLrRatio: 0.5 };

  it('warms up linearly from zero over ceil(ratio · total) steps', () => {
    expect(warmupSteps(c)).toBe(10);
    expect(warmupSteps({ ...c, totalSteps: 3, warmupRatio: 0.34 })).toBe(2);
    expect(learningRate(c, 0)).toBe(0);
    expect(learningRate(c, 5)).toBeCloseTo(0.5, 12);
    expect(learningRate(c, 10)).toBeCloseTo(1, 12);
  });

  it('decays by a cosine to the floor at the last step', () => {
    // Halfway through the decay the cosine factor is 1/2: 0.5 + 0.5·0.5.
    expect(learningRate(c, 55)).toBeCloseTo(0.75, 12);
    expect(learningRate(c, 100)).toBeCloseTo(0.5, 12);
    for (let s = 11; s < 100; s++) expect(learningRate(c, s)).toBeLessThan(learningRate(c, s - 1));
  });

  it('never lets a whole run train at lr 0: the last step is past the warm-up', () => {
    for (const totalSteps of [1, 2, 3, 7]) {
      for (const warmupRatio of [0, 0.1, 0.5, 0.99]) {
        const s = { ...c, totalSteps, warmupRatio };
        expect(warmupSteps(s)).toBeLessThan(totalSteps);
        expect(learningRate(s, totalSteps - 1)).toBeGreaterThan(0);
      }
    }
    expect(learningRate({ ...c, totalSteps: 1 }, 0)).toBe(1);
  });

  it('rejects nonsense with the field name', () => {
    expect(() => validateSchedule({ ...c, totalSteps: 0 })).toThrow(/totalSteps/);
    expect(() => validateSchedule({ ...c, warmupRatio: 1 })).toThrow(/warmupRatio/);
    expect(() => validateSchedule({ ...c, peakLr: -1 })).toThrow(/peakLr/);
  });
});
