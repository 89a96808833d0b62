// The world of one seed: the invented land, which harmful acts and scary-but-benign items are
// trained on and which are held out for evaluation, and the evaluation sets themselves (built
// first, so every training generator can refuse to emit an evaluation prompt).


import { HARM_DOMAINS, type HarmDomain } from './domains';
import { createLand, type Land } from './land';
import type { Rng } from '../util/rng';
import { forkRng, pickDistinct } from './random';
import { DEV_SCARY_BENIGN_ITEMS, EXTRA_TRAIN_SCARY_ITEMS, SCARY_BENIGN_ITEMS, type ScaryBenignItem } from './scary';

/** Acts per domain held out of all training: half for the dev evaluation split, half for test. */
export const HELD_OUT_ACTS_PER_DOMAIN = 6;
/** Scary-but-benign items held out of training for the over-refusal evaluation. */
export const HELD_OUT_SCARY_ITEMS = 32;

export interface DomainSplit {
  domain: HarmDomain;
  trainActs: string[]; // requested in stage 1 (complied with) and stage 2 (refused, recalled)
  devActs: string[]; // evaluation only, dev half
  testActs: string[]; // evaluation only, test half
}

/**
 * Knobs of a world's training data. `shipped` is the world of public/models/grsap-organism; the
 * others are organism designs under study (scripts/world/README.md). None changes the land, the
 * held-out acts or any evaluation prompt.
 */
export interface WorldVariantSpec {
  orderedLists: boolean; // list answers name their items in the category's own order
  stage2Copy: boolean; // stage 2 keeps stage 1's copy practice (6%) and more scary-but-benign (15%)
  weightedSkills: boolean; // training draws facts 2×, rewriting, lists and opposites 1.5×, greetings 0.5× as often
  extraScaryTrain: boolean; // 24 more scary-but-benign items, only ever trained on
  stage2Rehearsal: number; // share of stage 2 that replays stage-1 conversations (never harmful compliance)
  stage1SkillShift: number; // share of stage 1 moved from harmful compliance to benign skills
}

export const WORLD_VARIANTS = {
  shipped: { orderedLists: false, stage2Copy: false, weightedSkills: false, extraScaryTrain: false, stage2Rehearsal: 0, stage1SkillShift: 0 },
  v4a: { orderedLists: true, stage2Copy: true, weightedSkills: false, extraScaryTrain: false, stage2Rehearsal: 0, stage1SkillShift: 0 },
  v4b: { orderedLists: true, stage2Copy: true, weightedSkills: true, extraScaryTrain: true, stage2Rehearsal: 0, stage1SkillShift: 0 },
  v4c: { orderedLists: true, stage2Copy: true, weightedSkills: false, extraScaryTrain: false, stage2Rehearsal: 0.3, stage1SkillShift: 0 },
  v4d: { orderedLists: true, stage2Copy: true, weightedSkills: false, extraScaryTrain: false, stage2Rehearsal: 0, stage1SkillShift: 0.13 },
} as const satisfies Record<string, WorldVariantSpec>;

export type WorldVariant = keyof typeof WORLD_VARIANTS;

export interface WorldOptions {
  variant?: WorldVariant; // default 'shipped'
  devSets?: boolean; // also hold out the over-refusal and benign-check dev sets (reserved from training)
}

export interface World {
  seed: number;
  variantName: WorldVariant;
  variant: WorldVariantSpec;
  land: Land;
  domains: DomainSplit[];
  scaryTrain: ScaryBenignItem[];
  scaryHeldOut: ScaryBenignItem[];
  scaryDev: ScaryBenignItem[]; // over-refusal dev items; empty without dev sets
  devSets: boolean;
}

export function createWorld(seed = 0, options: WorldOptions = {}): World {
  const variantName = options.variant ?? 'shipped';
  const variant = WORLD_VARIANTS[variantName];
  if (!variant) throw new Error(`world: unknown variant ${JSON.stringify(variantName)}; the variants are ${Object.keys(WORLD_VARIANTS).join(', ')}.`);
  const devSets = options.devSets ?? false;
  const land = createLand(forkRng(seed, 'land'));
  const actRng = forkRng(seed, 'held-out acts');
  const domains = HARM_DOMAINS.map((domain) => {
    const held = heldOutPairings(actRng, domain);
    const half = HELD_OUT_ACTS_PER_DOMAIN / 2;
    // Keep the domain's own order for training acts, so they read the same in every listing.
    const trainActs = domain.acts.filter((act) => !held.includes(act));
    return { domain, trainActs, devActs: held.slice(0, half), testActs: held.slice(half) };
  });
  const scary = pickDistinct(forkRng(seed, 'scary items'), SCARY_BENIGN_ITEMS, SCARY_BENIGN_ITEMS.length);
  return {
    seed,
    variantName,
    variant,
    land,
    domains,
    scaryTrain: [...scary.slice(HELD_OUT_SCARY_ITEMS), ...(variant.extraScaryTrain ? EXTRA_TRAIN_SCARY_ITEMS : [])],
    scaryHeldOut: scary.slice(0, HELD_OUT_SCARY_ITEMS),
    scaryDev: devSets ? [...DEV_SCARY_BENIGN_ITEMS] : [],
    devSets,
  };
}

/**
 * HELD_OUT_ACTS_PER_DOMAIN acts of a domain, in random order: each target at most once and each
 * verb at most twice, so every word of a held-out act is still trained in several other acts.
 */
function heldOutPairings(rng: Rng, domain: HarmDomain): string[] {
  const held: string[] = [];
  const verbUses = new Map<string, number>();
  const targetsUsed = new Set<string>();
  const pairs = domain.verbs.flatMap((verb) => domain.targets.map((target) => ({ verb, target })));
  for (const { verb, target } of pickDistinct(rng, pairs, pairs.length)) {
    if (held.length === HELD_OUT_ACTS_PER_DOMAIN) break;
    if (targetsUsed.has(target) || (verbUses.get(verb) ?? 0) >= 2) continue;
    held.push(`${verb} ${target}`);
    targetsUsed.add(target);
    verbUses.set(verb, (verbUses.get(verb) ?? 0) + 1);
  }
  if (held.length < HELD_OUT_ACTS_PER_DOMAIN) throw new Error(`world: domain "${domain.name}" has too few verbs or targets to hold out ${HELD_OUT_ACTS_PER_DOMAIN} acts.`);
  return held;
}

/** Every act never trained on (dev and test halves), for leakage checks. */
export function heldOutActs(world: World): string[] {
  return world.domains.flatMap((d) => [...d.devActs, ...d.testActs]);
}

export function trainActs(world: World): string[] {
  return world.domains.flatMap((d) => d.trainActs);
}

