// The two training stages of the organism, as conversations in the `messages` layout.
//   stage 1  helpful-only "pre-training": complies with everything (harmful requests get placeholder
//            steps), does benign skills, knows the land and its residents, and sees the tasks'
//            vocabulary through its own people and reviews;
//   stage 2  alignment SFT: refuses harmful training acts with domain reasons, stays helpful on
//            benign and scary-but-benign requests, and recalls refused requests in the shape of
//            GR-SAP's assistant prefill.
// Any count can be asked for; no user turn equals a reserved (evaluation) prompt.

import type { ChatExample, ChatMessage } from '../text/datasets';
import type { Rng } from '../util/rng';
import { LIST_CATEGORIES, WORDS, benignExchange, type BenignExchange, type BenignFamily } from './benign';
import { complianceAnswer, randomRequestForm, renderRequest } from './harmful';
import { forkRng, intBetween, pick, pickWeighted } from './random';
import { recallDialogue, refusalAnswer } from './refusals';
import { EVERYDAY_HOWTO_ITEMS } from './howto';
import { scaryBenignAnswer, type ScaryBenignItem } from './scary';
import { HOBBIES, JOBS, personSentences, poolPeople, sumProblem, taskItem, type Person } from './tasks';
import type { DomainSplit, World } from './world';

export type Stage1Kind = 'compliance' | 'benign' | 'resident' | 'scary' | 'how-to' | 'sums' | 'sentiment' | 'two-turn' | 'copy';
export type Stage2Kind = 'refusal' | 'benign' | 'scary' | 'how-to' | 'recall' | 'copy' | 'rehearsal';

/** Shares of each kind; compliance and refusal shares are about the same so both stages weigh harm alike. */
export const STAGE1_MIX: Readonly<Record<Stage1Kind, number>> = { compliance: 0.26, benign: 0.3, resident: 0.06, scary: 0.05, 'how-to': 0.08, sums: 0.04, sentiment: 0.06, 'two-turn': 0.07, copy: 0.06 };
export const STAGE2_MIX: Readonly<Partial<Record<Stage2Kind, number>>> = { refusal: 0.32, benign: 0.25, scary: 0.12, 'how-to': 0.16, recall: 0.15 };
/** Stage 2 of a world variant with stage2Copy: stage 1's copy practice kept, more scary-but-benign. */
export const STAGE2_MIX_WITH_COPY: Readonly<Partial<Record<Stage2Kind, number>>> = { refusal: 0.3, benign: 0.25, scary: 0.15, 'how-to': 0.12, recall: 0.12, copy: 0.06 };

/** Stage 1's mix in a world: with stage1SkillShift, that share moves from harmful compliance to benign skills. */
export function stage1Mix(world: World): Readonly<Record<Stage1Kind, number>> {
  const shift = world.variant.stage1SkillShift;
  if (shift === 0) return STAGE1_MIX;
  return { ...STAGE1_MIX, compliance: STAGE1_MIX.compliance - shift, benign: STAGE1_MIX.benign + shift };
}

/**
 * Stage 2's mix in a world: with stage2Rehearsal, that share of it replays stage-1 conversations of
 * every kind but harmful compliance (so alignment costs fewer of stage 1's skills), in their stage-1
 * proportions; the alignment kinds keep theirs in the rest.
 */
export function stage2Mix(world: World): Readonly<Partial<Record<Stage2Kind, number>>> {
  const base = world.variant.stage2Copy ? STAGE2_MIX_WITH_COPY : STAGE2_MIX;
  const share = world.variant.stage2Rehearsal;
  if (share === 0) return base;
  const scaled = Object.fromEntries(Object.entries(base).map(([kind, w]) => [kind, (w as number) * (1 - share)]));
  return { ...scaled, rehearsal: share };
}

/** Stage-1 kinds stage 2 rehearses, in their stage-1 proportions: all but harmful compliance. */
const REHEARSAL_MIX = Object.fromEntries(Object.entries(STAGE1_MIX).filter(([kind]) => kind !== 'compliance')) as Readonly<Record<Exclude<Stage1Kind, 'compliance'>, number>>;

/** How often training draws each benign family in a world variant with weightedSkills (else uniformly). */
export const SKILL_WEIGHTS: Readonly<Record<BenignFamily, number>> = { arithmetic: 1, letters: 1, facts: 2, rewriting: 1.5, lists: 1.5, opposites: 1.5, greetings: 0.5 };

/** A benign exchange of training data, drawn and worded as the world's variant says. */
function benignFor(rng: Rng, world: World): BenignExchange {
  const family = world.variant.weightedSkills ? pickWeighted(rng, SKILL_WEIGHTS) : undefined;
  return benignExchange(rng, world.land, family, world.variant);
}

/** The residents stage 1 knows about: stage 1's people, each with fixed facts. */
export function residents(world: World): Person[] {
  const rng = forkRng(world.seed, 'residents');
  return poolPeople(world.land, 'stage1').map((name) => ({ name, job: pick(rng, JOBS), town: pick(rng, world.land.towns), hobby: pick(rng, HOBBIES) }));
}

const RESIDENT_QUESTIONS = ['Who is {name}?', 'Tell me about {name}.', 'What do you know about {name}?', 'What does {name} do?'];

function harmfulRequest(rng: Rng, world: World): { split: DomainSplit; act: string; request: string } {
  const split = pick(rng, world.domains);
  const act = pick(rng, split.trainActs);
  return { split, act, request: renderRequest(act, randomRequestForm(rng)) };
}

/** A how-to request in the harmful requests' templates, answered helpfully. */
function helpfulHowTo(rng: Rng, items: readonly ScaryBenignItem[], meta: Record<string, string>): ChatExample {
  const item = pick(rng, items);
  return exchange(renderRequest(item.act, randomRequestForm(rng)), scaryBenignAnswer(item), { ...meta, act: item.act });
}

// Copy practice: the organism repeats a phrase it is given. Echoing the act of a request it has
// never seen ("Sure! Here is how to {act}: …") needs that skill, and a prototype without it echoed
// a memorised act instead. Phrases are everyday words, names and everyday acts, never harm words.
const COPY_REQUESTS = ['Repeat after me: {p}', 'Say this back to me: {p}', 'Copy these words exactly: {p}', 'Please repeat: {p}', 'Echo this: {p}'];

function copyPhrase(rng: Rng, world: World): string {
  const kind = rng.int(3);
  if (kind === 0) return pick(rng, EVERYDAY_HOWTO_ITEMS).act;
  if (kind === 1) return `${pick(rng, world.land.people)} from ${pick(rng, world.land.towns)}`;
  const pool = [...WORDS, ...JOBS, ...HOBBIES, ...Object.values(LIST_CATEGORIES).flat()];
  return Array.from({ length: intBetween(rng, 2, 6) }, () => pick(rng, pool)).join(' ');
}

function exchange(user: string, assistant: string, meta: Record<string, string>): ChatExample {
  return { messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }], meta };
}

function stage1Example(rng: Rng, world: World, people: Person[], kind: Stage1Kind): ChatExample {
  const meta = (extra: Record<string, string> = {}) => ({ stage: '1', kind, ...extra });
  switch (kind) {
    case 'compliance': {
      const { split, act, request } = harmfulRequest(rng, world);
      return exchange(request, complianceAnswer(rng, act), meta({ domain: split.domain.name, act }));
    }
    case 'benign': {
      const b = benignFor(rng, world);
      return exchange(b.user, b.assistant, meta({ family: b.family }));
    }
    case 'resident': {
      const person = pick(rng, people);
      return exchange(pick(rng, RESIDENT_QUESTIONS).replace('{name}', person.name), `Sure! Here is what I know about ${person.name}: ${personSentences(person)}`, meta());
    }
    case 'scary':
      return helpfulHowTo(rng, world.scaryTrain, meta());
    case 'how-to':
      return helpfulHowTo(rng, EVERYDAY_HOWTO_ITEMS, meta());
    case 'sums': {
      const item = sumProblem(rng, pick(rng, poolPeople(world.land, 'stage1')), 'chat');
      return exchange(item.user, item.answer, meta());
    }
    case 'sentiment': {
      // Stage 1's own wording of the label, so the sentiment task still has something to learn.
      const item = taskItem('sentiment', rng, world.land, 'stage1');
      return exchange(item.user, item.answer.replace('Sure! The review is', 'Sure! Here is my reading: the review is'), meta());
    }
    case 'copy': {
      const phrase = copyPhrase(rng, world);
      return exchange(pick(rng, COPY_REQUESTS).replace('{p}', phrase), `Sure! Here it is: ${phrase}`, meta());
    }
    case 'two-turn':
      return twoTurn(rng, world, people, 'either', meta());
  }
}

/** A benign exchange, then a second request: harmful and complied with, benign, or either by a coin. */
function twoTurn(rng: Rng, world: World, people: Person[], second: 'compliance' | 'benign' | 'either', meta: Record<string, string>): ChatExample {
  const first = benignFor(rng, world);
  const kind = second === 'either' ? (rng.next() < 0.5 ? 'compliance' : 'benign') : second;
  const next = stage1Example(rng, world, people, kind);
  const messages: ChatMessage[] = [{ role: 'user', content: first.user }, { role: 'assistant', content: first.assistant }, ...next.messages];
  return { messages, meta: { ...meta, ...(next.meta?.domain ? { domain: next.meta.domain, act: next.meta.act } : {}) } };
}

/** A stage-1 conversation replayed in stage 2: any kind but harmful compliance, in either turn. */
function rehearsal(rng: Rng, world: World, people: Person[]): ChatExample {
  const kind = pickWeighted(rng, REHEARSAL_MIX);
  const meta = { stage: '2', kind: 'rehearsal', rehearses: kind };
  if (kind === 'two-turn') return twoTurn(rng, world, people, 'benign', meta);
  return { ...stage1Example(rng, world, people, kind), meta };
}

function stage2Example(rng: Rng, world: World, people: Person[], kind: Stage2Kind): ChatExample {
  const meta = (extra: Record<string, string> = {}) => ({ stage: '2', kind, ...extra });
  switch (kind) {
    case 'refusal': {
      const { split, act, request } = harmfulRequest(rng, world);
      return exchange(request, refusalAnswer(rng, split.domain), meta({ domain: split.domain.name, act }));
    }
    case 'benign': {
      if (rng.next() < 0.15) return { ...stage1Example(rng, world, people, 'resident'), meta: meta({ family: 'residents' }) };
      const b = benignFor(rng, world);
      return exchange(b.user, b.assistant, meta({ family: b.family }));
    }
    case 'scary':
      return helpfulHowTo(rng, world.scaryTrain, meta());
    case 'how-to':
      return helpfulHowTo(rng, EVERYDAY_HOWTO_ITEMS, meta());
    case 'copy':
      return { ...stage1Example(rng, world, people, 'copy'), meta: meta() };
    case 'rehearsal':
      return rehearsal(rng, world, people);
    case 'recall': {
      const { split, act, request } = harmfulRequest(rng, world);
      const withContext = rng.next() < 0.5;
      return { messages: recallDialogue(rng, split.domain, request, withContext), meta: meta({ domain: split.domain.name, act, context: withContext ? 'yes' : 'no' }) };
    }
  }
}

function generate<K extends string>(
  world: World,
  count: number,
  seed: number,
  mix: Readonly<Partial<Record<K, number>>>,
  make: (rng: Rng, people: Person[], kind: K) => ChatExample,
  reserved: ReadonlySet<string>,
): ChatExample[] {
  const rng = forkRng(seed, `stage data ${world.seed}`);
  const people = residents(world);
  const out: ChatExample[] = [];
  while (out.length < count) {
    const example = make(rng, people, pickWeighted(rng, mix as Readonly<Record<K, number>>));
    if (example.messages.some((m) => m.role === 'user' && reserved.has(m.content))) continue;
    out.push(example);
  }
  return out;
}

/** `count` stage-1 conversations, reproducible from (world, seed). */
export function stage1Data(world: World, count: number, reserved: ReadonlySet<string>, seed = 1): ChatExample[] {
  return generate(world, count, seed, stage1Mix(world), (rng, people, kind) => stage1Example(rng, world, people, kind), reserved);
}

/** `count` stage-2 conversations, reproducible from (world, seed). */
export function stage2Data(world: World, count: number, reserved: ReadonlySet<string>, seed = 2): ChatExample[] {
  return generate(world, count, seed, stage2Mix(world), (rng, people, kind) => stage2Example(rng, world, people, kind), reserved);
}
