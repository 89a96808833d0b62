import { describe, expect, it } from 'vitest';
import { ACTIVE_TICK_MS, ActiveClock, PAUSE_MS } from '../../src/studio/active-clock';

describe('ActiveClock', () => {
  it('counts wall time while its ticks come on time, and leaves out a pause that delays a tick', () => {
    let t = 1000;
    const clock = new ActiveClock(() => t);
    const start = clock.mark();
    for (let i = 0; i < 6; i++) {
      t += ACTIVE_TICK_MS;
      clock.tick();
    }
    expect(clock.activeSeconds(start)).toBeCloseTo(60, 6);
    // Stopped for two hours: the next tick comes two hours late.
    const beforePause = clock.mark();
    t += 2 * 3600_000 + ACTIVE_TICK_MS;
    clock.tick();
    expect(clock.activeSeconds(beforePause)).toBeCloseTo(10, 6);
    expect(clock.activeSeconds(start)).toBeCloseTo(70, 6);
    // A mark taken after the pause sees none of it.
    const after = clock.mark();
    t += 5000;
    expect(clock.activeSeconds(after)).toBeCloseTo(5, 6);
  });

  it('does not count a hidden page\'s throttled timer (a minute late) as a pause', () => {
    let t = 0;
    const clock = new ActiveClock(() => t);
    const start = clock.mark();
    for (let i = 0; i < 10; i++) {
      t += 60_000;
      clock.tick();
    }
    expect(60_000 - ACTIVE_TICK_MS).toBeLessThan(PAUSE_MS);
    expect(clock.activeSeconds(start)).toBeCloseTo(600, 6);
  });
});
