// Waiting for GPU work in Node without spinning a core.
//
// Dawn's Node binding (npm `webgpu`) learns that GPU work has finished by polling: while one of its
// promises (a mapAsync, onSubmittedWorkDone, popErrorScope) is pending, it calls ProcessEvents on
// every turn of the event loop through setImmediate, so the loop never blocks and the main thread
// burns a whole core for as long as the wait lasts (dawn-gpu/node-webgpu#17). On a software adapter
// (SwiftShader) that core is one the GPU work itself would run on: on two cores, a training step
// shared the machine with its own waiting loop.
//
// `PacedWaits` wraps each wait: once one has been pending for SPIN_MS, every turn of the event loop
// first sleeps `sleepMs` (Atomics.wait), so the polling thread is idle almost all the time and a
// completion is seen at most `sleepMs` late. Short waits (an error scope popped right away) finish
// within the spin and pay nothing. Only Node on a software adapter is paced; a browser waits on its
// own GPU process, and a real GPU's short waits want the polling's low latency.

/** How long a wait may spin before the loop starts sleeping, in ms. */
const SPIN_MS = 2;

export class PacedWaits {
  private pending = 0;
  private since = 0; // performance.now() when `pending` last rose from 0
  private scheduled = false;
  // What Atomics.wait sleeps on; made only when pacing (a page without cross-origin isolation has
  // no SharedArrayBuffer).
  private readonly cell: Int32Array | null;

  /** sleepMs: each turn's sleep while a wait is pending; 0 turns pacing off. */
  constructor(readonly sleepMs: number) {
    this.cell = sleepMs > 0 ? new Int32Array(new SharedArrayBuffer(4)) : null;
  }

  /** `promise`, awaited with the event loop paced while it is pending. */
  async wait<T>(promise: Promise<T>): Promise<T> {
    if (this.sleepMs <= 0) return promise;
    if (this.pending++ === 0) this.since = performance.now();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.turn);
    }
    try {
      return await promise;
    } finally {
      this.pending--;
    }
  }

  // One turn of the event loop: sleep if a wait has been pending past the spin, then come back on
  // the next turn for as long as any wait is pending.
  private readonly turn = (): void => {
    if (this.pending === 0) {
      this.scheduled = false;
      return;
    }
    if (performance.now() - this.since > SPIN_MS) Atomics.wait(this.cell!, 0, 0, this.sleepMs);
    setImmediate(this.turn);
  };
}

/** Each turn's sleep in Node on a software adapter, in ms (GRSAP_PUMP_SLEEP_MS overrides; 0 is off). */
export function nodePumpSleepMs(isSoftware: boolean): number {
  const env = typeof process !== 'undefined' ? process.env?.GRSAP_PUMP_SLEEP_MS : undefined;
  if (env !== undefined && env !== '') {
    const ms = Number(env);
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`GRSAP_PUMP_SLEEP_MS must be a number of milliseconds ≥ 0 (0 turns pacing off); got ${JSON.stringify(env)}.`);
    return ms;
  }
  return isSoftware ? 1 : 0;
}
