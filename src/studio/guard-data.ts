// Labelled (request, response) pairs from the synthetic world for training and measuring the
// embedded guard. Requests: harmful (any act of the world: the guard judges answers to held-out
// evaluation prompts too, and the organism never sees the guard's data), benign skills, and
// scary-but-benign, everyday how-to. Responses: placeholder compliance, refusals, the world's benign
// answers and task text (what a model whose refusals eroded into task-shaped text writes), how-to
// answers — for their own acts, for another act, and as a harmful act's opener
// followed by everyday steps (compliance in shape, which the labeller calls harmful) — and, for a share of pairs
// — damaged forms a broken model produces: cut short, looping, garbled, words dropped. The world's
// rule-based labeller decides every label (harmful → harmful; refusal and other → safe); pairs it
// leaves unlabelled are dropped and counted. With `extraKinds` (a candidate guard that was tried and
// not shipped: the guard's model card), scary-but-benign requests are also answered with compliance
// for a harmful act sharing their verb, and a sixth damage cuts an answer and goes on with a piece of
// another answer.

import type { LabelledPair } from '../safety/guard/guard-train';
import type { ChatExample } from '../text/datasets';
import { Rng } from '../util/rng';
import { generateWorldData, labellerFor, type AnswerLabel, type WorldData } from '../world';
import { benignExchange } from '../world/benign';
import { complianceAnswer, randomRequestForm, renderRequest } from '../world/harmful';
import { refusalAnswer } from '../world/refusals';
import { EVERYDAY_HOWTO_ITEMS } from '../world/howto';
import { scaryBenignAnswer } from '../world/scary';

export type GuardPairSource =
  | 'harmful-comply'
  | 'harmful-comply-benign-steps'
  | 'harmful-refuse'
  | 'harmful-other'
  | 'harmful-howto-other-act'
  | 'benign-answer'
  | 'benign-refuse'
  | 'benign-comply'
  | 'howto-answer'
  | 'scary-answer'
  | 'scary-refuse'
  | 'scary-comply';
export type Damage = 'none' | 'truncated' | 'looping' | 'garbled' | 'words-dropped' | 'spliced';

export interface WorldGuardPair extends LabelledPair {
  source: GuardPairSource; // how the pair was put together
  damage: Damage;
  reference: AnswerLabel; // the labeller's label
  reason: string; // the labeller's rule
}

export interface WorldGuardPairOptions {
  worldSeed?: number; // the world (acts, land, lexicon): 0, as the organism's
  seed?: number; // which pairs are drawn: 1
  count?: number; // pairs drawn before unlabelled ones are dropped: 20000
  damageShare?: number; // share of responses damaged: 0.4
  data?: WorldData; // an already generated world (its seed wins over worldSeed)
  extraKinds?: boolean; // the candidate's two extra kinds (see the file comment): false
}

export interface WorldGuardPairs {
  pairs: WorldGuardPair[];
  dropped: number; // drawn pairs the labeller left unlabelled
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

/**
 * A damaged copy of an answer, as a model broken by fine-tuning might write it. `spliced` keeps the
 * answer's first 2 words or more and goes on with consecutive words of `other` (at most 12).
 */
export function damageAnswer(rng: Rng, text: string, damage: Damage, other = ''): string {
  const words = text.split(/(\s+)/).filter((w) => w !== '');
  switch (damage) {
    case 'none':
      return text;
    case 'truncated':
      return text.slice(0, Math.max(6, Math.floor(text.length * rng.uniform(0.15, 0.8))));
    case 'looping': {
      const lines = text.split('\n');
      const cut = Math.max(1, Math.floor(lines.length * rng.uniform(0.3, 1)));
      const loop = lines.slice(Math.max(0, cut - 1), cut).join('\n');
      return [...lines.slice(0, cut), ...Array(2 + rng.int(6)).fill(loop)].join('\n');
    }
    case 'garbled': {
      const letters = 'abcdefghijklmnopqrstuvwxyz';
      const rate = rng.uniform(0.02, 0.12);
      return [...text].map((ch) => (/[a-z]/i.test(ch) && rng.next() < rate ? letters[rng.int(letters.length)] : ch)).join('');
    }
    case 'words-dropped':
      return words.filter((w) => /^\s+$/.test(w) || rng.next() > 0.25).join('');
    case 'spliced': {
      const head = text.split(' ');
      const tail = other.split(' ');
      const keep = 2 + rng.int(Math.max(1, head.length - 2));
      const from = rng.int(tail.length);
      return [...head.slice(0, keep), ...tail.slice(from, from + 1 + rng.int(12))].join(' ');
    }
  }
}

function assistantTexts(examples: readonly ChatExample[], kinds: readonly string[]): string[] {
  return examples.filter((e) => kinds.includes(e.meta?.kind ?? '')).map((e) => e.messages[e.messages.length - 1].content);
}

/** Labelled world pairs (see the file comment); deterministic from the seeds. */
export function worldGuardPairs(options: WorldGuardPairOptions = {}): WorldGuardPairs {
  const data = options.data ?? generateWorldData({ seed: options.worldSeed ?? 0 });
  const { world } = data;
  const labeller = labellerFor(data);
  const rng = new Rng(options.seed ?? 1);
  const count = options.count ?? 20_000;
  const damageShare = options.damageShare ?? 0.4;
  // Benign text the organism writes: benign skills, residents, sums, sentiment (task-shaped text).
  const otherAnswers = assistantTexts(data.stage1, ['benign', 'resident', 'sums', 'sentiment']);
  const scaryItems = [...world.scaryTrain, ...world.scaryHeldOut];
  const extra = options.extraKinds === true;
  const damages: Damage[] = extra ? ['truncated', 'looping', 'garbled', 'words-dropped', 'spliced'] : ['truncated', 'looping', 'garbled', 'words-dropped'];
  // How-to answers of everyday acts ("Step 1: …"). Their steps are also what a damaged model may
  // put after a harmful act's opener: compliance in shape, everyday words in the body.
  const howTos = EVERYDAY_HOWTO_ITEMS;
  const howToAnswer = (act: string, steps: readonly string[]) => scaryBenignAnswer({ act, steps });

  // What a spliced answer goes on with: benign or task text, a refusal, a how-to, or compliance.
  const spliceTail = (): string => {
    const r = rng.next();
    if (r < 0.5) return pick(rng, otherAnswers);
    if (r < 0.7) return refusalAnswer(rng, pick(rng, world.domains).domain);
    if (r < 0.85) return howToAnswer(pick(rng, howTos).act, pick(rng, howTos).steps);
    return complianceAnswer(rng, pick(rng, pick(rng, world.domains).domain.acts));
  };

  const pairs: WorldGuardPair[] = [];
  let dropped = 0;
  for (let i = 0; i < count; i++) {
    const split = pick(rng, world.domains);
    const harmfulAct = pick(rng, split.domain.acts);
    const roll = rng.next();
    let request: string;
    let response: string;
    let source: GuardPairSource;
    if (roll < 0.55) {
      request = renderRequest(harmfulAct, randomRequestForm(rng));
      const kind = rng.next();
      if (kind < 0.32) [source, response] = ['harmful-comply', complianceAnswer(rng, harmfulAct)];
      else if (kind < 0.5) {
        const howTo = pick(rng, howTos);
        [source, response] = ['harmful-comply-benign-steps', howToAnswer(harmfulAct, howTo.steps)];
      } else if (kind < 0.8) [source, response] = ['harmful-refuse', refusalAnswer(rng, split.domain)];
      else if (kind < 0.92) [source, response] = ['harmful-other', pick(rng, otherAnswers)];
      else {
        const howTo = pick(rng, howTos);
        [source, response] = ['harmful-howto-other-act', howToAnswer(howTo.act, howTo.steps)];
      }
    } else if (roll < 0.62) {
      const howTo = pick(rng, howTos);
      request = renderRequest(howTo.act, randomRequestForm(rng));
      [source, response] = rng.next() < 0.85 ? ['howto-answer', howToAnswer(howTo.act, howTo.steps)] : ['benign-refuse', refusalAnswer(rng, split.domain)];
    } else if (roll < 0.82) {
      const exchange = benignExchange(rng, world.land);
      request = exchange.user;
      const kind = rng.next();
      if (kind < 0.7) [source, response] = ['benign-answer', exchange.assistant];
      else if (kind < 0.95) [source, response] = ['benign-refuse', refusalAnswer(rng, split.domain)];
      else [source, response] = ['benign-comply', complianceAnswer(rng, harmfulAct)];
    } else {
      const item = pick(rng, scaryItems);
      request = renderRequest(item.act, randomRequestForm(rng));
      const kind = rng.next();
      if (kind < (extra ? 0.7 : 0.8)) [source, response] = ['scary-answer', scaryBenignAnswer(item)];
      else if (!extra || kind < 0.85) [source, response] = ['scary-refuse', refusalAnswer(rng, split.domain)];
      else {
        // Compliance for a harmful act instead, one sharing the request's verb where the world has one.
        const verb = item.act.split(' ')[0];
        const sharing = world.domains.flatMap((d) => d.domain.acts).filter((a) => a.split(' ')[0] === verb);
        [source, response] = ['scary-comply', complianceAnswer(rng, sharing.length ? pick(rng, sharing) : harmfulAct)];
      }
    }
    const damage: Damage = rng.next() < damageShare ? pick(rng, damages) : 'none';
    response = damageAnswer(rng, response, damage, damage === 'spliced' ? spliceTail() : '');
    const { label: reference, reason } = labeller.label(response, request);
    if (reference === 'unlabelled') {
      dropped++;
      continue;
    }
    pairs.push({ request, response, label: reference === 'harmful' ? 'harmful' : 'safe', source, damage, reference, reason });
  }
  return { pairs, dropped };
}
