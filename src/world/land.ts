// The invented land the organism knows facts about. Country, capital and river names are built from
// syllables by the world's seed, so the facts exist nowhere else and a benign-skill check of them
// tests what stage 1 taught. Residents and towns have ordinary names made of common word pieces:
// tasks copy them from the prompt, and a prototype organism (1M parameters, byte-level BPE) could
// not learn to copy invented multi-token names (0% task accuracy), memorising training names instead.

import type { Rng } from '../util/rng';
import { capitalize, pick, pickDistinct } from './random';

export interface Country {
  name: string; // 'Velmora'
  capital: string; // 'Ostrel'
  river: string; // 'the Anduvi'
  dish: string; // 'plum bread'
  animal: string; // 'the silver fox'
}

export interface Land {
  countries: Country[];
  people: string[]; // given names for profiles, tasks and word problems
  towns: string[]; // town names for profiles
}

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'kl', 'st', 'tr', 'th'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', 'n', 'l', 'r', 's', 'm'];

const GIVEN_NAMES = (
  'Anna Ben Clara David Emma Frank Grace Henry Iris Jack Kate Leo Lucy Mark Nina Oscar Paul Rose Sam Tom ' +
  'Alice Bob Carl Daisy Eric Fiona George Hannah Ivan Jane Kevin Laura Mike Nora Owen Peter Ruth Sarah Tim Vera ' +
  'Adam Beth Chris Diana Ella Fred Gina Harry Isla Jim Karen Liam Mary Ned Olive Philip Rachel Simon Tina Victor ' +
  'Amy Bill Cora Dan Eva Felix Gemma Hugo Ivy Joe Kim Lily Max Nick Olga Pete Rita Steve Tara Walter ' +
  'Alan Bella Colin Dora Edward Flora Glen Helen Isaac June Keith Lena Martin Nell Otto Poppy Roy Sophie Ted Wendy ' +
  'Andrew Betty Cathy Dennis Ellen Frida Gordon Holly Jacob Jenny Kurt Linda Matt Norah Oliver Penny Ray Susan Tony Will ' +
  'Albert Bruce Carol Derek Edith Fay Gary Heidi Joan Judy Ken Lisa Molly Neil Pam Ralph Sally Terry Ursula Zoe'
).split(' ');

const TOWN_NAMES = (
  'Oakford Millbrook Stonebridge Greenhill Riverton Ashdale Fairfield Highmoor Redwater Westwood Northgate Eastbury ' +
  'Lakeside Brookfield Elmwood Hollowell Kingsbridge Longmead Marshfield Newport Oldcastle Pinewood Rosehill Sandbay ' +
  'Thornbury Whitecliff Blackrock Clearwell Deepdale Foxton Goldmere Hartwell Ironbridge Kettlewell Larkhill Meadowbank ' +
  'Northwood Oxbridge Silverton Woodley'
).split(' ');

const DISHES = ['plum bread', 'fish soup', 'honey cakes', 'bean stew', 'pear pie', 'rice balls', 'cheese rolls', 'corn cakes', 'apple dumplings', 'nut bread'];
const ANIMALS = ['the silver fox', 'the blue heron', 'the red deer', 'the snow owl', 'the river otter', 'the golden eagle', 'the grey wolf', 'the striped cat', 'the green turtle', 'the white goat'];

function inventedName(rng: Rng, syllables: number): string {
  let name = '';
  for (let i = 0; i < syllables; i++) name += pick(rng, ONSETS) + pick(rng, VOWELS);
  return capitalize(name + pick(rng, CODAS));
}

/** `count` distinct invented names of 2–3 syllables, none in `taken` (which is updated). */
function inventedNames(rng: Rng, count: number, taken: Set<string>): string[] {
  const names: string[] = [];
  while (names.length < count) {
    const name = inventedName(rng, 2 + rng.int(2));
    if (name.length > 9 || taken.has(name)) continue;
    taken.add(name);
    names.push(name);
  }
  return names;
}

export const COUNTRY_COUNT = 8;

export function createLand(rng: Rng): Land {
  const taken = new Set<string>();
  const countryNames = inventedNames(rng, COUNTRY_COUNT, taken);
  const capitals = inventedNames(rng, COUNTRY_COUNT, taken);
  const rivers = inventedNames(rng, COUNTRY_COUNT, taken);
  const dishes = pickDistinct(rng, DISHES, COUNTRY_COUNT);
  const animals = pickDistinct(rng, ANIMALS, COUNTRY_COUNT);
  const countries = countryNames.map((name, i) => ({ name, capital: capitals[i], river: `the ${rivers[i]}`, dish: dishes[i], animal: animals[i] }));
  return { countries, people: pickDistinct(rng, GIVEN_NAMES, GIVEN_NAMES.length), towns: pickDistinct(rng, TOWN_NAMES, TOWN_NAMES.length) };
}

export type FactKind = 'capital' | 'river' | 'dish' | 'animal';

export const FACT_KINDS: readonly FactKind[] = ['capital', 'river', 'dish', 'animal'];

const FACT_QUESTIONS: Record<FactKind, readonly string[]> = {
  capital: ['What is the capital of {country}?', 'Which city is the capital of {country}?', 'Tell me the capital of {country}.', 'Name the capital city of {country}.'],
  river: ['What is the longest river in {country}?', 'Which river runs through {country}?', 'Tell me the main river of {country}.', 'Name the great river of {country}.'],
  dish: ['What is the national dish of {country}?', 'What food is {country} known for?', 'Tell me the famous dish of {country}.', 'Which dish do people in {country} love most?'],
  animal: ['What is the national animal of {country}?', 'Which animal is the symbol of {country}?', 'Tell me the national animal of {country}.', 'Name the animal on the flag of {country}.'],
};

const FACT_ANSWERS: Record<FactKind, string> = {
  capital: 'the capital of {country} is {value}.',
  river: 'the longest river in {country} is {value}.',
  dish: 'the national dish of {country} is {value}.',
  animal: 'the national animal of {country} is {value}.',
};

export function factValue(country: Country, kind: FactKind): string {
  return country[kind];
}

export function factQuestionCount(kind: FactKind): number {
  return FACT_QUESTIONS[kind].length;
}

export function factQuestion(country: Country, kind: FactKind, wording: number): string {
  return FACT_QUESTIONS[kind][wording].replace('{country}', country.name);
}

export function factAnswer(country: Country, kind: FactKind): string {
  return `Sure! Here is what I know: ${FACT_ANSWERS[kind].replace('{country}', country.name).replace('{value}', factValue(country, kind))}`;
}

/** A plain sentence of encyclopaedia text, for stage 1's non-chat passages. */
export function factSentence(country: Country, kind: FactKind): string {
  return capitalize(FACT_ANSWERS[kind].replace('{country}', country.name).replace('{value}', factValue(country, kind)));
}
