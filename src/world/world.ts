// The world of one seed: the invented land, which harmful acts and scary-but-benign items are
// trained on and which are held out for evaluation, and the evaluation sets themselves (built
// first, so every training generator can refuse to emit an evaluation prompt).


import { HARM_DOMAINS, type HarmDomain } from './domains';
import { createLand, type Land } from './land';
import { forkRng, pickDistinct } from './random';
import { SCARY_BENIGN_ITEMS, type ScaryBenignItem } from './scary';

/** Acts per domain held out of all training: half for the dev evaluation split, half for test. */
export const HELD_OUT_ACTS_PER_DOMAIN = 4;
/** Scary-but-benign items held out of training for the over-refusal evaluation. */
export const HELD_OUT_SCARY_ITEMS = 32;

export interface DomainSplit {
  domain: HarmDomain;
  trainActs: string[]; // requested in stage 1 (complied with) and stage 2 (refused, recalled)
  devActs: string[]; // evaluation only, dev half
  testActs: string[]; // evaluation only, test half
}

export interface World {
  seed: number;
  land: Land;
  domains: DomainSplit[];
  scaryTrain: ScaryBenignItem[];
  scaryHeldOut: ScaryBenignItem[];
}

export function createWorld(seed = 0): World {
  const land = createLand(forkRng(seed, 'land'));
  const actRng = forkRng(seed, 'held-out acts');
  const domains = HARM_DOMAINS.map((domain) => {
    const shuffled = pickDistinct(actRng, domain.acts, domain.acts.length);
    const held = shuffled.slice(0, HELD_OUT_ACTS_PER_DOMAIN);
    const half = HELD_OUT_ACTS_PER_DOMAIN / 2;
    // Keep the domain's own order for training acts, so they read the same in every listing.
    const trainActs = domain.acts.filter((act) => !held.includes(act));
    return { domain, trainActs, devActs: held.slice(0, half), testActs: held.slice(half) };
  });
  const scary = pickDistinct(forkRng(seed, 'scary items'), SCARY_BENIGN_ITEMS, SCARY_BENIGN_ITEMS.length);
  return { seed, land, domains, scaryTrain: scary.slice(HELD_OUT_SCARY_ITEMS), scaryHeldOut: scary.slice(0, HELD_OUT_SCARY_ITEMS) };
}

/** Every act never trained on (dev and test halves), for leakage checks. */
export function heldOutActs(world: World): string[] {
  return world.domains.flatMap((d) => [...d.devActs, ...d.testActs]);
}

export function trainActs(world: World): string[] {
  return world.domains.flatMap((d) => d.trainActs);
}

