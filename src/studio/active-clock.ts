// Wall time with the process's pauses left out, for ETAs and durations. A stopped process (Ctrl-Z,
// SIGSTOP) or a sleeping laptop runs no code, so a clock that ticks every ACTIVE_TICK_MS finds its
// next tick late by the pause. A tick more than PAUSE_MS late counts as a pause; less does not,
// because a browser throttles a hidden page's timers to about once a minute while the work goes on.

export const ACTIVE_TICK_MS = 10_000;
export const PAUSE_MS = 120_000;

/** A reading of the clock: the wall time and the pauses counted so far. */
export interface ActiveMark {
  at: number;
  paused: number;
}

export class ActiveClock {
  private pausedMs = 0;
  private last: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.last = now();
  }

  /** Called every ACTIVE_TICK_MS (see `startActiveClock`). */
  tick(): void {
    const t = this.now();
    const late = t - this.last - ACTIVE_TICK_MS;
    if (late > PAUSE_MS) this.pausedMs += late;
    this.last = t;
  }

  mark(): ActiveMark {
    return { at: this.now(), paused: this.pausedMs };
  }

  /** Seconds since `from`, without the pauses counted since. */
  activeSeconds(from: ActiveMark): number {
    return Math.max(0, this.now() - from.at - (this.pausedMs - from.paused)) / 1000;
  }
}

/** A clock ticking on a timer that does not keep Node alive; `stop` clears the timer. */
export function startActiveClock(): { clock: ActiveClock; stop: () => void } {
  const clock = new ActiveClock();
  const timer = setInterval(() => clock.tick(), ACTIVE_TICK_MS);
  (timer as { unref?: () => void }).unref?.();
  return { clock, stop: () => clearInterval(timer) };
}
