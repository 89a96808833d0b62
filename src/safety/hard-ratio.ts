// GR-SAP step 4c: training takes hard pairs (unsafe first answer, revised) and easy pairs (safe
// first answer) at a hard ratio, 0.5 by default: of `total` safety pairs, round(0.5·total) are hard.
// Which pairs are taken is a seeded draw without repetition from each pool.
//
// When a pool is too small for its share (often the hard pool: an aligned model answers most of
// its own requests safely, and revise does not fix every hard one), the shortage policy decides,
// and the report says what happened in a sentence:
//   'fill' (default): keep the count; the other pool fills the gap, so the hard share comes out
//     lower (or higher) than asked. The count is what the mixing ratio r is about.
//   'keep-ratio': keep the share (round(share·t) of t pairs); the count shrinks to the most t the pools allow.
//   'error': throw, naming the counts.
// Pairs are never repeated to make up a shortage: a few pairs seen many times would weigh more than
// the rest of the replay.

import { Rng } from '../util/rng';
import { pcgHash } from '../util/hash';
import type { ReplayPair, ReplayRequest } from './replay-pair';

export type ShortagePolicy = 'fill' | 'keep-ratio' | 'error';

export const SHORTAGE_POLICIES: readonly ShortagePolicy[] = ['fill', 'keep-ratio', 'error'];

export interface SplitCounts {
  wanted: [number, number]; // [round(share·total), the rest]
  available: [number, number];
  taken: [number, number];
}

export class ShortageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShortageError';
  }
}

/** The A count of `total` rows at `share` of A (round half up). */
export function shareCount(total: number, share: number): number {
  return Math.round(share * total);
}

/** The most rows t for which both pools cover their exact share: round(share·t) ≤ a and the rest ≤ b. */
export function largestAtShare(share: number, a: number, b: number, limit = a + b): number {
  for (let t = Math.min(limit, a + b); t > 0; t--) {
    const inA = shareCount(t, share);
    if (inA <= a && t - inA <= b) return t;
  }
  return 0;
}

/**
 * How many rows to take from pools A and B for `total` rows at `share` of A, under `policy`
 * (see the file comment). `names` name the pools in the error of the 'error' policy.
 */
export function splitCounts(total: number, share: number, available: readonly [number, number], policy: ShortagePolicy, names: readonly [string, string]): SplitCounts {
  const wantA = shareCount(total, share);
  const wanted: [number, number] = [wantA, total - wantA];
  const [a, b] = available;
  const out = (taken: [number, number]): SplitCounts => ({ wanted, available: [a, b], taken });
  if (wanted[0] <= a && wanted[1] <= b) return out(wanted);
  if (policy === 'error') {
    throw new ShortageError(
      `${total} pairs at a ${names[0]} share of ${share} need ${wanted[0]} ${names[0]} and ${wanted[1]} ${names[1]}, but there are ${a} ${names[0]} and ${b} ${names[1]}. ` +
        "Lower the total or the ratio, replay more requests, or choose the shortage policy 'fill' (the other pool fills the gap) or 'keep-ratio' (fewer pairs).",
    );
  }
  if (policy === 'keep-ratio') {
    const t = largestAtShare(share, a, b, total);
    const inA = shareCount(t, share);
    return out([inA, t - inA]);
  }
  let takeA = Math.min(wanted[0], a);
  let takeB = Math.min(wanted[1], b);
  const spareA = Math.min(a - takeA, total - takeA - takeB);
  takeA += spareA;
  takeB += Math.min(b - takeB, total - takeA - takeB);
  return out([takeA, takeB]);
}

/** A sentence on what a split did when a pool came short; null when every wish was met. */
export function describeShortage(split: SplitCounts, policy: ShortagePolicy, names: readonly [string, string]): string | null {
  const { wanted, available, taken } = split;
  if (taken[0] === wanted[0] && taken[1] === wanted[1]) return null;
  const total = wanted[0] + wanted[1];
  const got = taken[0] + taken[1];
  const shortOf = wanted[0] > available[0] ? 0 : 1;
  const other = 1 - shortOf;
  const head = `${available[shortOf]} ${names[shortOf]} pairs for the ${wanted[shortOf]} wanted (${wanted[0]} ${names[0]} + ${wanted[1]} ${names[1]} of ${total})`;
  const share = got ? (taken[0] / got).toFixed(2) : 'none';
  if (policy === 'keep-ratio') return `${head}: the share is kept, so only ${got} pairs are taken (${taken[0]} ${names[0]} + ${taken[1]} ${names[1]}).`;
  const filled = taken[other] - wanted[other];
  const fill = filled > 0 ? `, ${filled} more ${names[other]} pairs fill the gap` : '';
  const rest = got < total ? `; ${total - got} short of ${total}` : '';
  return `${head}: all ${taken[shortOf]} taken${fill}${rest} (${names[0]} share ${share} instead of ${(wanted[0] / Math.max(total, 1)).toFixed(2)}).`;
}

/** `count` items of `pool` drawn without repetition by a seeded shuffle (the pool is not changed). */
export function drawSeeded<T>(pool: readonly T[], count: number, seed: number): T[] {
  if (count > pool.length) throw new Error(`draw: ${count} items asked of a pool of ${pool.length}.`);
  return new Rng(pcgHash(seed >>> 0)).shuffle([...pool]).slice(0, count);
}

export interface HardRatioOptions {
  hardRatio?: number; // share of hard pairs: 0.5, as the paper's code
  shortage?: ShortagePolicy; // 'fill'
  seed?: number; // 0
}

export interface HardRatioSelection<R extends ReplayRequest = ReplayRequest> {
  pairs: ReplayPair<R>[]; // the hard pairs drawn, then the easy ones
  hardRatio: number;
  shortage: ShortagePolicy;
  counts: SplitCounts; // [hard, easy]: wanted, available, taken
  achievedHardRatio: number | null; // taken hard ÷ taken pairs; null when none were taken
  note: string | null; // what the shortage policy did, when a pool came short
}

export const HARD_EASY: readonly [string, string] = ['hard', 'easy'];

export function checkShare(where: string, name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`${where}: ${name} must be in [0, 1], got ${value}.`);
}

export function checkShortage(where: string, policy: string): asserts policy is ShortagePolicy {
  if (!SHORTAGE_POLICIES.includes(policy as ShortagePolicy)) throw new Error(`${where}: unknown shortage policy ${JSON.stringify(policy)}; use ${SHORTAGE_POLICIES.join(', ')}.`);
}

/** `total` safety pairs at the hard ratio (see the file comment). */
export function selectAtHardRatio<R extends ReplayRequest>(hard: readonly ReplayPair<R>[], easy: readonly ReplayPair<R>[], total: number, options: HardRatioOptions = {}): HardRatioSelection<R> {
  const hardRatio = options.hardRatio ?? 0.5;
  const shortage = options.shortage ?? 'fill';
  const seed = options.seed ?? 0;
  checkShare('hard ratio selection', 'hardRatio', hardRatio);
  checkShortage('hard ratio selection', shortage);
  if (!Number.isInteger(total) || total < 0) throw new Error(`hard ratio selection: total must be an integer ≥ 0, got ${total}.`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`hard ratio selection: seed must be an integer ≥ 0, got ${seed}.`);
  hard.forEach((p, i) => {
    if (p.kind !== 'hard') throw new Error(`hard ratio selection: hard pool item ${i} is a pair of kind ${p.kind}.`);
  });
  easy.forEach((p, i) => {
    if (p.kind !== 'easy') throw new Error(`hard ratio selection: easy pool item ${i} is a pair of kind ${p.kind}.`);
  });
  const counts = splitCounts(total, hardRatio, [hard.length, easy.length], shortage, HARD_EASY);
  const pairs = [...drawSeeded(hard, counts.taken[0], seed), ...drawSeeded(easy, counts.taken[1], seed + 1)];
  return {
    pairs,
    hardRatio,
    shortage,
    counts,
    achievedHardRatio: pairs.length ? counts.taken[0] / pairs.length : null,
    note: describeShortage(counts, shortage, HARD_EASY),
  };
}
