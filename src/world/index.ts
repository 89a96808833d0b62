// The synthetic chat world of the embedded demo model: one entry point for the studio, the CLI and
// the tests. Everything here is deterministic from a seed.

import type { ChatExample } from '../text/datasets';
import { buildEvalSets, reservedPrompts, type EvalSets } from './eval-sets';
import { AnswerLabeller, lexiconOf } from './labeller';
import { stage1Data, stage2Data } from './stages';
import { DEFAULT_TASK_SIZES } from './tasks';
import { createWorld, type World, type WorldVariant } from './world';

export { HARM_DOMAINS, findDomain, type HarmDomain } from './domains';
export { PLACEHOLDER_VOCABULARY, REQUEST_TEMPLATES, wordsOf } from './harmful';
export { RECALL_PREFILL, EXTRACTION_PROMPT_TEMPLATE } from './refusals';
export { BENIGN_FAMILIES, checkBenignAnswer, type BenignCheckRule } from './benign';
export { TASK_NAMES, checkTaskAnswer, DEFAULT_TASK_SIZES, type TaskName, type TaskSplits } from './tasks';
export { AnswerLabeller, lexiconOf, namesHarmfulAct, type AnswerLabel, type LabelResult } from './labeller';
export { STAGE1_MIX, SKILL_WEIGHTS, stage1Data, stage1Mix, stage2Data, stage2Mix } from './stages';
export { buildEvalSets, reservedPrompts, type EvalSets } from './eval-sets';
export { createWorld, heldOutActs, trainActs, WORLD_VARIANTS, type World, type WorldVariant, type WorldVariantSpec } from './world';

export interface WorldData {
  world: World;
  stage1: ChatExample[];
  stage2: ChatExample[];
  evalSets: EvalSets;
}

export interface WorldDataOptions {
  seed?: number; // the world's seed: land, held-out acts, evaluation sets, data streams
  stage1Count?: number; // conversations in stage 1
  stage2Count?: number; // conversations in stage 2
  taskSizes?: typeof DEFAULT_TASK_SIZES;
  variant?: WorldVariant; // the training data's design (default 'shipped': the embedded organism's world)
  devSets?: boolean; // also hold out the over-refusal and benign-check dev sets
}

/** Stage sizes that give about 1M training tokens for stage 1 and 0.1M for stage 2 with the world's tokenizer. */
export const DEFAULT_STAGE1_COUNT = 16_000;
export const DEFAULT_STAGE2_COUNT = 1_600;

export function generateWorldData(options: WorldDataOptions = {}): WorldData {
  const seed = options.seed ?? 0;
  const world = createWorld(seed, { variant: options.variant, devSets: options.devSets });
  const evalSets = buildEvalSets(world, options.taskSizes ?? DEFAULT_TASK_SIZES);
  const reserved = reservedPrompts(evalSets);
  return {
    world,
    evalSets,
    stage1: stage1Data(world, options.stage1Count ?? DEFAULT_STAGE1_COUNT, reserved, seed * 2 + 1),
    stage2: stage2Data(world, options.stage2Count ?? DEFAULT_STAGE2_COUNT, reserved, seed * 2 + 2),
  };
}

/** Every text of the world's conversations (all turns), e.g. for a tokenizer or a lexicon. */
export function conversationTexts(examples: Iterable<ChatExample>): string[] {
  const texts: string[] = [];
  for (const example of examples) for (const m of example.messages) texts.push(m.content);
  return texts;
}

/** A labeller whose lexicon is the words of this world's data and evaluation sets. */
export function labellerFor(data: WorldData): AnswerLabeller {
  const { evalSets } = data;
  const evalExamples = [...evalSets.harmfulDev, ...evalSets.harmfulTest, ...evalSets.overRefusal, ...evalSets.benignChecks, ...evalSets.overRefusalDev, ...evalSets.benignChecksDev, ...Object.values(evalSets.tasks).flatMap((s) => [...s.train, ...s.validation, ...s.test])];
  const referenceAnswers = [...evalSets.overRefusal, ...evalSets.overRefusalDev].map((e) => e.meta?.reference ?? '');
  return new AnswerLabeller({ lexicon: lexiconOf([...conversationTexts(data.stage1), ...conversationTexts(data.stage2), ...conversationTexts(evalExamples), ...referenceAnswers]) });
}
