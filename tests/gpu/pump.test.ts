// Paced waits (src/gpu/pump.ts): while a wait is pending past its spin, each turn of the event loop
// sleeps, so a poller on setImmediate (Dawn's, in Node) runs a few hundred times a second instead of
// spinning; values and errors pass through, and the loop runs free again once nothing is pending.

import { describe, expect, it } from 'vitest';
import { nodePumpSleepMs, PacedWaits } from '../../src/gpu/pump';

/**
 * Turns of the event loop (setImmediate callbacks) while `promise` is pending, counted from 20 ms on
 * (past a paced wait's spin), and its value.
 */
async function turnsDuring<T>(promise: Promise<T>): Promise<{ turns: number; value: T }> {
  let turns = 0;
  let done = false;
  const start = performance.now();
  const poll = () => {
    if (performance.now() - start > 20) turns++;
    if (!done) setImmediate(poll);
  };
  setImmediate(poll);
  const value = await promise;
  done = true;
  return { turns, value };
}

/** Turns in 80 ms that only a loop running free reaches: 5× the most a paced one (2 ms sleeps) can. */
const FREE_TURNS = 200;

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('PacedWaits', () => {
  it('sleeps on each turn of the loop while a wait is pending', async () => {
    const free = await turnsDuring(new PacedWaits(0).wait(after(100, 'free')));
    const paced = await turnsDuring(new PacedWaits(2).wait(after(100, 'paced')));
    expect(free.value).toBe('free');
    expect(paced.value).toBe('paced');
    // In the last 80 ms: unpaced, the poller runs thousands of times on an idle machine (960 on one
    // busy with other work); paced, once per 2 ms sleep, at most 40. FREE_TURNS is 5× that bound.
    expect(free.turns).toBeGreaterThan(FREE_TURNS);
    expect(paced.turns).toBeLessThan(50);
  });

  it('passes errors through and stops pacing when nothing is pending', async () => {
    const waits = new PacedWaits(2);
    await expect(waits.wait(Promise.reject(new Error('device lost')))).rejects.toThrow('device lost');
    await waits.wait(after(20, null));
    const free = await turnsDuring(after(100, null)); // nothing pending on `waits`
    expect(free.turns).toBeGreaterThan(FREE_TURNS);
  });

  it('reads its sleep from GRSAP_PUMP_SLEEP_MS, 1 ms on a software adapter by default', () => {
    const saved = process.env.GRSAP_PUMP_SLEEP_MS;
    try {
      delete process.env.GRSAP_PUMP_SLEEP_MS;
      expect(nodePumpSleepMs(true)).toBe(1);
      expect(nodePumpSleepMs(false)).toBe(0);
      process.env.GRSAP_PUMP_SLEEP_MS = '0';
      expect(nodePumpSleepMs(true)).toBe(0);
      process.env.GRSAP_PUMP_SLEEP_MS = 'fast';
      expect(() => nodePumpSleepMs(true)).toThrow(/GRSAP_PUMP_SLEEP_MS must be a number of milliseconds.*"fast"/);
    } finally {
      if (saved === undefined) delete process.env.GRSAP_PUMP_SLEEP_MS;
      else process.env.GRSAP_PUMP_SLEEP_MS = saved;
    }
  });
});
