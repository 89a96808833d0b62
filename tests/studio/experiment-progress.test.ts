// The experiment runner's ETA bookkeeping (src/studio/experiment-progress.ts): the rate is this
// session's work over its active seconds, and a unit begun by an earlier session (a checkpoint
// resumed) counts as done, not as speed.

import { describe, expect, it } from 'vitest';
import { WorkTally } from '../../src/studio/experiment-progress';

describe('WorkTally', () => {
  it('has no ETA before any work of this session', () => {
    expect(new WorkTally(100, 20).eta(0, 30)).toBeNull();
    expect(new WorkTally(100, 0).eta(5, 0)).toBeNull();
  });

  it('divides the work left by this session\'s rate', () => {
    const tally = new WorkTally(100, 0);
    expect(tally.eta(10, 10)).toBeCloseTo(90); // 1 unit of work a second, 90 left
    tally.finish(40);
    expect(tally.eta(0, 20)).toBeCloseTo(30); // 40 in 20 s: 2 a second, 60 left
  });

  it('leaves a resumed unit\'s earlier work out of the rate', () => {
    // 20 finished before; the unit in flight (40) was 30 done when its checkpoint was saved.
    const tally = new WorkTally(100, 20);
    tally.resume(30);
    // 10 s later it is 35 done: 5 in this session, 0.5 a second; 100 − 20 − 35 = 45 left.
    expect(tally.eta(35, 10)).toBeCloseTo(90);
    tally.finish(40); // 10 of it in this session, 60 done in all
    expect(tally.eta(0, 20)).toBeCloseTo(80); // 10 in 20 s, 40 left
    tally.finish(20); // the next unit runs whole in this session: 30 in 40 s
    expect(tally.eta(0, 40)).toBeCloseTo(20 / (30 / 40));
  });
});
