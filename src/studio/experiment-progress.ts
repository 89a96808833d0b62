// The experiment runner's progress arithmetic: each unit's and replay set's work in rough token
// units, and the tally of work done and to do that gives the ETA (experiment-run.ts reports it).

import { mixRows, type ExperimentPreset, type ExperimentUnit } from './experiment';

// Work of the plan in rough token units, for the ETA: trained tokens and generated tokens count
// alike (on the organism, Node/SwiftShader, the quick preset's untuned evaluation ran ~210 generated
// tokens/s and its plain training ~210 trained tokens/s).
export function trainWork(preset: ExperimentPreset, u: ExperimentUnit): number {
  return u.arm.train ? (preset.train.epochs ?? 1) * mixRows(preset, u.arm) * preset.tokensPerRow : 0;
}

/** One half's evaluation. */
export function evalWork(preset: ExperimentPreset): number {
  const l = preset.evaluate.limits;
  return (l.harmful + l.overRefusal + l.task + l.benignChecks) * preset.evaluate.maxNewTokens;
}

export function unitWork(preset: ExperimentPreset, u: ExperimentUnit): number {
  return trainWork(preset, u) + preset.evaluate.halves.length * evalWork(preset);
}

export function replayWork(preset: ExperimentPreset, domains: number): number {
  const r = preset.replay;
  return domains * r.samplesPerDomain * (r.maxNewTokens + 2 * r.responseTokens);
}

/**
 * The plan's work done and to do, for the ETA. The rate is this session's: work done since the run
 * (re)started over active seconds. The unit in flight may have been begun by an earlier session (a
 * checkpoint resumed, a half already evaluated): that part counts as done, not toward the rate, or
 * a resumed run would promise too much.
 */
export class WorkTally {
  private session = 0; // work finished in this session
  private resumed = 0; // the unit in flight's work that an earlier session did

  constructor(
    readonly total: number,
    private done: number, // finished before this session
  ) {}

  /** The unit in flight had `work` done by an earlier session. */
  resume(work: number): void {
    this.resumed += work;
  }

  /** A unit (or a replay set) of `work` finished. */
  finish(work: number): void {
    this.done += work;
    this.session += work - this.resumed;
    this.resumed = 0;
  }

  /** Seconds left, with `inFlight` of the current unit done after `activeSeconds`; null before any rate. */
  eta(inFlight: number, activeSeconds: number): number | null {
    const doneHere = this.session + inFlight - this.resumed;
    return doneHere > 0 && activeSeconds > 0 ? Math.max(0, (this.total - this.done - inFlight) / (doneHere / activeSeconds)) : null;
  }
}
