// Evaluation sets of a world: held-out harmful prompts (dev and test halves, split by act), scary-
// but-benign prompts for over-refusal, benign-skill checks with expected answers, and the tasks'
// validation and test splits. They come from acts and items no training set uses, and their exact
// prompts are reserved: training generators draw again rather than emit one.

import type { ChatExample } from '../text/datasets';
import type { Rng } from '../util/rng';
import { BENIGN_FAMILIES, benignExchange } from './benign';
import { REQUEST_FORM_COUNT, renderRequest, requestFormAt } from './harmful';
import { forkRng, pickDistinct } from './random';
import { scaryBenignAnswer } from './scary';
import { DEFAULT_TASK_SIZES, TASK_NAMES, taskSplits, type TaskName, type TaskSplits } from './tasks';
import type { World } from './world';

/** Distinct wordings per held-out act (6 acts × 14 domains × 4 = 336 prompts). */
export const PROMPTS_PER_HELD_OUT_ACT = 4;
/** Distinct wordings per held-out scary-but-benign item (32 × 5 = 160 prompts). */
export const PROMPTS_PER_SCARY_ITEM = 5;
/** Benign-skill checks per family; greetings take fewer, since only twenty exist and training needs most. */
export const BENIGN_CHECKS_PER_FAMILY = 20;
const GREETING_CHECKS = 5;
const GREETING_DEV_CHECKS = 3; // of the twenty greetings, training keeps twelve

export interface EvalSets {
  harmfulDev: ChatExample[]; // user turn only; meta: domain, act, split 'dev'
  harmfulTest: ChatExample[]; // meta split 'test': read only for reported figures
  overRefusal: ChatExample[]; // scary-looking benign requests; meta: act, reference (a helpful answer)
  benignChecks: ChatExample[]; // meta: family, expected, rule (see checkBenignAnswer)
  // Dev sets for a world's own design (a world with devSets; else empty): never trained on and never
  // in a reported figure. Over-refusal prompts of other held-out items; benign checks of another draw.
  overRefusalDev: ChatExample[];
  benignChecksDev: ChatExample[];
  tasks: Record<TaskName, TaskSplits>;
}

function userOnly(content: string, meta: Record<string, string>): ChatExample {
  return { messages: [{ role: 'user', content }], meta };
}

function distinctForms(rng: Rng, count: number): number[] {
  return pickDistinct(rng, Array.from({ length: REQUEST_FORM_COUNT }, (_, i) => i), count);
}

export function buildEvalSets(world: World, taskSizes = DEFAULT_TASK_SIZES): EvalSets {
  const formRng = forkRng(world.seed, 'eval forms');
  const harmful = (split: 'dev' | 'test') =>
    world.domains.flatMap(({ domain, devActs, testActs }) =>
      (split === 'dev' ? devActs : testActs).flatMap((act) =>
        distinctForms(formRng, PROMPTS_PER_HELD_OUT_ACT).map((form) => userOnly(renderRequest(act, requestFormAt(form)), { domain: domain.name, act, split })),
      ),
    );
  const harmfulDev = harmful('dev');
  const harmfulTest = harmful('test');

  const overRefusal = world.scaryHeldOut.flatMap((item) =>
    distinctForms(formRng, PROMPTS_PER_SCARY_ITEM).map((form) => userOnly(renderRequest(item.act, requestFormAt(form)), { act: item.act, split: 'over-refusal', reference: scaryBenignAnswer(item) })),
  );

  const seen = new Set<string>();
  const checks = (rng: Rng, greetings: number): ChatExample[] => {
    const out: ChatExample[] = [];
    for (const family of BENIGN_FAMILIES) {
      const wanted = family === 'greetings' ? greetings : BENIGN_CHECKS_PER_FAMILY;
      let got = 0;
      while (got < wanted) {
        const exchange = benignExchange(rng, world.land, family, world.variant);
        if (seen.has(exchange.user)) continue;
        seen.add(exchange.user);
        got++;
        out.push({
          messages: [{ role: 'user', content: exchange.user }, { role: 'assistant', content: exchange.assistant }],
          meta: { family, expected: exchange.expected, rule: exchange.rule, split: 'benign-check' },
        });
      }
    }
    return out;
  };
  const benignChecks = checks(forkRng(world.seed, 'benign checks'), GREETING_CHECKS);

  const reservedSoFar = new Set([...harmfulDev, ...harmfulTest, ...overRefusal, ...benignChecks].map((e) => e.messages[0].content));
  const tasks = Object.fromEntries(
    TASK_NAMES.map((task) => [task, taskSplits(task, forkRng(world.seed, `task ${task}`), world.land, taskSizes, reservedSoFar)]),
  ) as Record<TaskName, TaskSplits>;
  // The dev sets come last, so every set above is the same with or without them.
  const devFormRng = forkRng(world.seed, 'eval forms dev');
  const overRefusalDev = world.scaryDev.flatMap((item) =>
    distinctForms(devFormRng, PROMPTS_PER_SCARY_ITEM).map((form) => userOnly(renderRequest(item.act, requestFormAt(form)), { act: item.act, split: 'over-refusal-dev', reference: scaryBenignAnswer(item) })),
  );
  const benignChecksDev = world.devSets ? checks(forkRng(world.seed, 'benign checks dev'), GREETING_DEV_CHECKS).map((e) => ({ ...e, meta: { ...e.meta, split: 'benign-check-dev' } })) : [];
  return { harmfulDev, harmfulTest, overRefusal, benignChecks, overRefusalDev, benignChecksDev, tasks };
}

/** Every user prompt that training must never contain: all evaluation prompts and the tasks' held-out splits. */
export function reservedPrompts(sets: EvalSets): Set<string> {
  const all = [...sets.harmfulDev, ...sets.harmfulTest, ...sets.overRefusal, ...sets.benignChecks, ...sets.overRefusalDev, ...sets.benignChecksDev];
  for (const splits of Object.values(sets.tasks)) all.push(...splits.validation, ...splits.test);
  return new Set(all.flatMap((e) => e.messages.filter((m) => m.role === 'user').map((m) => m.content)));
}
