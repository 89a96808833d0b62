// Small seeded-choice helpers shared by the world's generators. Every generator draws from one Rng
// passed in, so a whole dataset is reproducible from its seed.

import { Rng } from '../util/rng';

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (!items.length) throw new Error('pick: cannot choose from an empty list.');
  return items[rng.int(items.length)];
}

/** `count` distinct items in random order (all of them, shuffled, when count ≥ length). */
export function pickDistinct<T>(rng: Rng, items: readonly T[], count: number): T[] {
  return rng.shuffle([...items]).slice(0, count);
}

/** Integer in [lo, hi], both ends included. */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

/** A child generator whose stream depends only on the parent seed and a label, not on call order. */
export function forkRng(seed: number, label: string): Rng {
  let h = (seed >>> 0) ^ 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return new Rng(h);
}

/** Draw a category by weight: weights need not sum to 1. */
export function pickWeighted<K extends string>(rng: Rng, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let at = rng.next() * total;
  for (const [key, weight] of entries) {
    at -= weight;
    if (at < 0) return key;
  }
  return entries[entries.length - 1][0];
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
