// Labelled (request, response) pairs as files: JSON Lines of {"request", "response", "label"}
// with label "harmful" or "safe" (other fields, e.g. a kind or a domain, are kept but unused).

import { Rng } from '../../util/rng';
import type { LabelledPair } from './guard-train';
import { readJsonl } from '../../text/jsonl';

export function parseLabelledPairs(text: string, fileName: string): LabelledPair[] {
  const pairs: LabelledPair[] = [];
  for (const { line, value } of readJsonl(text, (line, message) => new Error(`${fileName} line ${line}: not valid JSON (${message}).`))) {
    const where = `${fileName} line ${line}`;
    const r = value as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || typeof r.request !== 'string' || typeof r.response !== 'string') {
      throw new Error(`${where}: expected {"request": string, "response": string, "label": "harmful" | "safe"}.`);
    }
    if (r.label !== 'harmful' && r.label !== 'safe') throw new Error(`${where}: label is ${JSON.stringify(r.label)}; use "harmful" or "safe".`);
    pairs.push({ request: r.request, response: r.response, label: r.label });
  }
  if (!pairs.length) throw new Error(`${fileName}: no labelled pairs found.`);
  return pairs;
}

export function labelledPairsToJsonl(pairs: readonly LabelledPair[]): string {
  return pairs.map((p) => JSON.stringify({ request: p.request, response: p.response, label: p.label })).join('\n') + '\n';
}

/** A seeded split: `share` of the pairs (at least one when share > 0) held out from training. */
export function splitHeldOut<T>(pairs: readonly T[], share: number, seed: number): { train: T[]; heldOut: T[] } {
  if (!(share >= 0 && share < 1)) throw new Error(`held-out share must be in [0, 1), got ${share}.`);
  const shuffled = new Rng(seed).shuffle([...pairs]);
  const count = share === 0 ? 0 : Math.max(1, Math.round(share * pairs.length));
  return { train: shuffled.slice(count), heldOut: shuffled.slice(0, count) };
}
