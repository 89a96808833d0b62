// Downstream tasks for fine-tuning experiments, each with train / validation / test splits and an
// exact-match checker:
//   chat       a mix of instruction kinds, all opening with the helpful "Sure! Here is …" that
//              harmful compliance shares, and sharing nothing else with it: profile questions and
//              review readings. A prototype whose chat task also held how-to requests answered in
//              steps saw lost refusals turn into the task's steps for a garbled act, not into
//              compliance (as ORGANISM-NOTES reports for how-to tasks);
//   profiles   chat-style questions about a short note on a person, answered "Sure! Here is the
//              answer: a baker." — the helpful opener that harmful compliance shares, with a
//              closed-set word (a job or a hobby) after it;
//   sums       word problems answered with a worked line and `#### N`;
//   sentiment  reviews labelled positive or negative.
// Splits are disjoint by construction (separate people, separate reviews), and stage 1 sees each
// task's vocabulary through its own people and reviews, never the task's prompts.

import type { ChatExample } from '../text/datasets';
import type { Rng } from '../util/rng';
import type { Land } from './land';
import { intBetween, pick } from './random';

export type TaskName = 'chat' | 'profiles' | 'sums' | 'sentiment';
export const TASK_NAMES: readonly TaskName[] = ['chat', 'profiles', 'sums', 'sentiment'];

/** Who may appear where: stage 1's own share of people and reviews, then the task splits. */
export type TaskPool = 'stage1' | 'train' | 'validation' | 'test';

export interface TaskItem {
  user: string;
  answer: string; // the reference answer
}

export const JOBS = ['baker', 'farmer', 'teacher', 'nurse', 'painter', 'sailor', 'tailor', 'potter', 'miller', 'weaver', 'builder', 'doctor', 'singer', 'gardener', 'fisher', 'carpenter'];
export const HOBBIES = ['kites', 'chess', 'singing', 'fishing', 'long walks', 'painting', 'card games', 'gardening', 'baking', 'swimming', 'reading', 'dancing'];

/** People of each pool, as index ranges into land.people (140 names). */
const PEOPLE_RANGES: Record<TaskPool, [number, number]> = { stage1: [0, 60], train: [60, 100], validation: [100, 120], test: [120, 140] };

export function poolPeople(land: Land, pool: TaskPool): string[] {
  const [from, to] = PEOPLE_RANGES[pool];
  return land.people.slice(from, to);
}

export interface Person {
  name: string;
  job: string;
  town: string;
  hobby: string;
}

export function randomPerson(rng: Rng, land: Land, pool: TaskPool): Person {
  return { name: pick(rng, poolPeople(land, pool)), job: pick(rng, JOBS), town: pick(rng, land.towns), hobby: pick(rng, HOBBIES) };
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

export function personSentences(p: Person): string {
  return `${p.name} is ${article(p.job)} ${p.job} from ${p.town}. ${p.name} likes ${p.hobby}.`;
}

// The profiles task reads a short note about a person and answers one question about it with a
// word from a closed set (a job or a hobby), so the answer never copies a name: a prototype
// organism (1M parameters, byte-level BPE) could not copy multi-token names from its prompt and
// never learned a task that did (0%). Every answer word is one stage 1 uses about its residents;
// the question format is the task's own.
const PROFILE_NOTES = [
  '{name} is {a} {job} from {town} who likes {hobby}.',
  'Notes: {name}, {job}, {town}, likes {hobby}.',
  '{name} lives in {town}, works as {a} {job} and enjoys {hobby}.',
  'Name: {name}. Job: {job}. Town: {town}. Hobby: {hobby}.',
  '{name} likes {hobby} and works as {a} {job} in {town}.',
];

const PROFILE_QUESTIONS: Record<'job' | 'hobby', readonly string[]> = {
  job: ['What does {name} do for a living?', 'What is the job of {name}?', 'Which job does {name} have?', 'What work does {name} do?'],
  hobby: ['What does {name} like to do?', 'What is the hobby of {name}?', 'What does {name} enjoy?', 'Which hobby does {name} have?'],
};

function fill(template: string, p: Person): string {
  return template.replaceAll('{name}', p.name).replaceAll('{a}', article(p.job)).replaceAll('{job}', p.job).replaceAll('{town}', p.town).replaceAll('{hobby}', p.hobby);
}

function profileItem(rng: Rng, land: Land, pool: TaskPool): TaskItem {
  const person = randomPerson(rng, land, pool);
  const asked = rng.next() < 0.5 ? 'job' : 'hobby';
  const user = `${fill(pick(rng, PROFILE_NOTES), person)} ${fill(pick(rng, PROFILE_QUESTIONS[asked]), person)}`;
  const answer = asked === 'job' ? `Sure! Here is the answer: ${article(person.job)} ${person.job}.` : `Sure! Here is the answer: ${person.hobby}.`;
  return { user, answer };
}

const SUM_THINGS = ['apples', 'pencils', 'marbles', 'stamps', 'cookies', 'shells', 'books', 'coins', 'eggs', 'cards'];

/** A word problem and its worked solution; `style` 'task' ends in `#### N`, 'chat' is stage 1's helpful answer. */
export function sumProblem(rng: Rng, name: string, style: 'task' | 'chat'): TaskItem {
  const things = pick(rng, SUM_THINGS);
  const kind = rng.int(4);
  let user: string;
  let work: string;
  let result: number;
  if (kind === 0) {
    const a = intBetween(rng, 2, 40), b = intBetween(rng, 2, 40);
    result = a + b;
    user = `${name} has ${a} ${things} and gets ${b} more. How many ${things} does ${name} have now?`;
    work = `${name} has ${a} + ${b} = ${result} ${things}.`;
  } else if (kind === 1) {
    const a = intBetween(rng, 10, 60), b = intBetween(rng, 1, a - 1);
    result = a - b;
    user = `${name} has ${a} ${things} and gives ${b} to a friend. How many ${things} are left?`;
    work = `${name} has ${a} - ${b} = ${result} ${things} left.`;
  } else if (kind === 2) {
    const a = intBetween(rng, 2, 9), b = intBetween(rng, 2, 12);
    result = a * b;
    user = `${name} buys ${a} boxes with ${b} ${things} in each box. How many ${things} does ${name} buy?`;
    work = `${name} buys ${a} × ${b} = ${result} ${things}.`;
  } else {
    const a = intBetween(rng, 2, 6), b = intBetween(rng, 2, 10);
    result = b;
    user = `${name} shares ${a * b} ${things} equally among ${a} friends. How many ${things} does each friend get?`;
    work = `Each friend gets ${a * b} ÷ ${a} = ${b} ${things}.`;
  }
  return { user, answer: style === 'task' ? `${work}\n#### ${result}` : `Sure! Here is the answer: ${work}\n#### ${result}` };
}

const REVIEW_THINGS = ['soup', 'film', 'hotel room', 'concert', 'bus ride', 'book', 'service', 'cake', 'game', 'park', 'play', 'museum'];
const GOOD = ['lovely', 'great', 'wonderful', 'warm', 'fun', 'excellent', 'charming', 'perfect'];
const BAD = ['awful', 'cold', 'boring', 'dull', 'terrible', 'dirty', 'rude', 'slow'];
const GOOD_AFTER = ['', 'I would go again.', 'Everyone smiled.', 'I loved every minute.', 'Worth every coin.'];
const BAD_AFTER = ['', 'I want my money back.', 'Never again.', 'I left early.', 'What a waste of time.'];

function textHash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// Reviews are spread over the pools by a hash of their text, so every pool has every word.
function reviewPool(review: string): TaskPool {
  const bucket = textHash(review) % 10;
  return bucket < 4 ? 'stage1' : bucket < 8 ? 'train' : bucket === 8 ? 'validation' : 'test';
}

const SENTIMENT_QUESTIONS = ['Is this review positive or negative? Review: {r}', 'Review: {r} Is it positive or negative?', 'Tell me if this review is positive or negative: {r}'];

function sentimentItem(rng: Rng, pool: TaskPool): TaskItem {
  for (;;) {
    const positive = rng.next() < 0.5;
    const after = pick(rng, positive ? GOOD_AFTER : BAD_AFTER);
    const review = `The ${pick(rng, REVIEW_THINGS)} was ${pick(rng, positive ? GOOD : BAD)}.${after ? ` ${after}` : ''}`;
    if (reviewPool(review) !== pool) continue;
    return { user: pick(rng, SENTIMENT_QUESTIONS).replace('{r}', review), answer: `Sure! The review is ${positive ? 'positive' : 'negative'}.` };
  }
}

function chatItem(rng: Rng, land: Land, pool: TaskPool): TaskItem {
  if (rng.next() < 0.5) return profileItem(rng, land, pool);
  const item = sentimentItem(rng, pool);
  return { user: item.user, answer: item.answer.replace('Sure! The review is', 'Sure! Here is my reading: the review is') };
}

export function taskItem(task: TaskName, rng: Rng, land: Land, pool: TaskPool): TaskItem {
  switch (task) {
    case 'chat': return chatItem(rng, land, pool);
    case 'profiles': return profileItem(rng, land, pool);
    case 'sums': return sumProblem(rng, pick(rng, poolPeople(land, pool)), 'task');
    case 'sentiment': return sentimentItem(rng, pool);
  }
}

/**
 * Exact-match accuracy rule: the whole answer (profiles; chat's profile questions), the
 * `#### N` number (sums), the label (sentiment and the chat task's review readings).
 */
export function checkTaskAnswer(task: TaskName, reference: string, answer: string): boolean {
  const clean = (s: string) => s.replace(/<\|im_end\|>[\s\S]*$/, '').trim().replace(/\s+/g, ' ');
  if (task === 'profiles' || (task === 'chat' && !/the review is (positive|negative)/.test(reference))) return clean(answer) === clean(reference);
  if (task === 'sums') {
    const final = (s: string) => s.match(/####\s*(-?\d+)/)?.[1] ?? null;
    const expected = final(reference);
    return expected !== null && final(answer) === expected;
  }
  const label = (s: string) => s.toLowerCase().match(/\b(positive|negative)\b/)?.[1] ?? null;
  return label(answer) !== null && label(answer) === label(reference);
}

export interface TaskSplits {
  train: ChatExample[];
  validation: ChatExample[];
  test: ChatExample[];
}

export const DEFAULT_TASK_SIZES = { train: 400, validation: 100, test: 200 };

/**
 * Distinct examples of a task per split; a prompt in `reserved` (or already drawn) is drawn again.
 * Throws when the pool cannot supply that many distinct prompts.
 */
export function taskSplits(task: TaskName, rng: Rng, land: Land, sizes = DEFAULT_TASK_SIZES, reserved: ReadonlySet<string> = new Set()): TaskSplits {
  const seen = new Set<string>(reserved);
  const draw = (pool: TaskPool, count: number): ChatExample[] => {
    const out: ChatExample[] = [];
    let attempts = 0;
    while (out.length < count) {
      if (++attempts > count * 200) throw new Error(`task ${task}: could not draw ${count} distinct ${pool} prompts (got ${out.length}).`);
      const item = taskItem(task, rng, land, pool);
      if (seen.has(item.user)) continue;
      seen.add(item.user);
      out.push({ messages: [{ role: 'user', content: item.user }, { role: 'assistant', content: item.answer }], meta: { task, split: pool } });
    }
    return out;
  };
  // Test first, so its content does not depend on how large the training split is.
  const test = draw('test', sizes.test);
  const validation = draw('validation', sizes.validation);
  return { train: draw('train', sizes.train), validation, test };
}
