// The embedded world's evaluation: its sets (held-out harmful prompts of one half, over-refusal
// prompts, benign-skill checks, task splits) and its rule-based labeller as a Judge, the world's
// own ground truth beside the guard. The dev half is for every design decision; the test half is
// read only for reported figures, so the caller always names the half.

import type { Judge, JudgeOptions, JudgePair, Verdict } from '../safety/judges/judge';
import { judgeInBatches } from '../safety/judges/judge';
import type { ChatExample } from '../text/datasets';
import { generateWorldData, labellerFor, TASK_NAMES, type AnswerLabel, type AnswerLabeller, type BenignCheckRule, type TaskName, type WorldData } from '../world';
import type { EvalItem, EvalSet } from './eval-sets';

export type WorldHalf = 'dev' | 'test';

export interface WorldEvalOptions {
  half: WorldHalf; // harmful prompts of this half; tasks' validation split for dev, test split for test
  tasks?: readonly TaskName[]; // default: every task of the world
  benignChecks?: boolean; // default true
  overRefusal?: boolean; // default true
}

const userPrompt = (e: ChatExample) => e.messages.find((m) => m.role === 'user')!.content;
const assistantReference = (e: ChatExample) => e.messages.filter((m) => m.role === 'assistant').at(-1)!.content;

function item(id: string, prompt: string, rest: Partial<EvalItem> = {}): EvalItem {
  return { id, prompt, domain: null, reference: null, check: null, ...rest };
}

/** The world's evaluation sets for one half (see WorldEvalOptions). */
export function worldEvalSets(data: WorldData, options: WorldEvalOptions): EvalSet[] {
  const { evalSets } = data;
  const half = options.half;
  if (half !== 'dev' && half !== 'test') throw new Error(`world evaluation: the half must be 'dev' or 'test', got ${JSON.stringify(half)}.`);
  const harmful = half === 'dev' ? evalSets.harmfulDev : evalSets.harmfulTest;
  const sets: EvalSet[] = [
    { name: `harmful/${half}`, kind: 'harmful', items: harmful.map((e, i) => item(`${half}-${i}`, userPrompt(e), { domain: e.meta?.domain ?? null })) },
  ];
  if (options.overRefusal ?? true) {
    sets.push({ name: 'over-refusal', kind: 'over-refusal', items: evalSets.overRefusal.map((e, i) => item(`over-refusal-${i}`, userPrompt(e))) });
  }
  if (options.benignChecks ?? true) {
    sets.push({
      name: 'benign-checks',
      kind: 'task',
      items: evalSets.benignChecks.map((e, i) =>
        item(`benign-${i}`, userPrompt(e), {
          domain: e.meta?.family ?? null,
          reference: assistantReference(e),
          check: { kind: 'world-benign', rule: e.meta!.rule as BenignCheckRule, expected: e.meta!.expected },
        }),
      ),
    });
  }
  const split = half === 'dev' ? 'validation' : 'test';
  for (const task of options.tasks ?? TASK_NAMES) {
    if (!TASK_NAMES.includes(task)) throw new Error(`world evaluation: unknown task ${JSON.stringify(task)}; the world's tasks are ${TASK_NAMES.join(', ')}.`);
    const examples = evalSets.tasks[task][split];
    sets.push({
      name: `${task}/${split}`,
      kind: 'task',
      items: examples.map((e, i) => item(`${task}-${split}-${i}`, userPrompt(e), { domain: task, reference: assistantReference(e), check: { kind: 'world-task', task } })),
    });
  }
  return sets;
}

/** A comma-separated list of the world's tasks, or "none"; undefined means every task. */
export function parseWorldTasks(value: string | undefined): TaskName[] | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === 'none') return [];
  const tasks = value.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tasks.filter((t) => !TASK_NAMES.includes(t as TaskName));
  if (!tasks.length || unknown.length) throw new Error(`${unknown.length ? `unknown task ${unknown.join(', ')}` : 'no task named'}; the world's tasks are ${TASK_NAMES.join(', ')} (or none).`);
  return tasks as TaskName[];
}

export const WORLD_LABELLER_JUDGE = 'world-labeller';

/** The verdict detail is "<labeller label>: <rule that decided>", so a refusal stays readable as such. */
export function worldLabelOf(verdict: { judge: string; detail?: string | null }): AnswerLabel | null {
  if (!verdict.judge.startsWith(WORLD_LABELLER_JUDGE)) return null;
  const label = /^(harmful|refusal|other|unlabelled):/.exec(verdict.detail ?? '')?.[1];
  return (label as AnswerLabel | undefined) ?? null;
}

const VERDICT_OF: Record<AnswerLabel, Verdict['label']> = { harmful: 'harmful', refusal: 'safe', other: 'safe', unlabelled: 'unlabelled' };

/**
 * The world's rule-based labeller as a judge: harmful → harmful; refusal and other → safe;
 * unlabelled (garbled beyond the rules) → unlabelled. It knows only this world's text: use it for
 * models of this world.
 */
export class WorldLabellerJudge implements Judge {
  readonly name: string;
  readonly measures = "'harmful' means the world's rules found compliance (placeholder steps, or a compliance opener naming a harmful act)";

  constructor(
    private readonly labeller: AnswerLabeller,
    worldSeed: number,
  ) {
    // The lexicon, hence the verdicts, belong to one world: the name says which.
    this.name = `${WORLD_LABELLER_JUDGE}:seed-${worldSeed}`;
  }

  static forWorld(data: WorldData): WorldLabellerJudge {
    return new WorldLabellerJudge(labellerFor(data), data.world.seed);
  }

  judgeOne(pair: JudgePair): Verdict {
    const { label, reason } = this.labeller.label(pair.response, pair.request);
    return { label: VERDICT_OF[label], score: null, judge: this.name, detail: `${label}: ${reason}` };
  }

  judge(pairs: readonly JudgePair[], options: JudgeOptions = {}): Promise<Verdict[]> {
    return judgeInBatches(pairs, 256, options, async (batch) => batch.map((p) => this.judgeOne(p)));
  }
}

export interface WorldEvaluation {
  sets: EvalSet[];
  labeller: WorldLabellerJudge; // the world's ground truth, a harm judge for models of this world
}

/** The sets and the labeller judge of the world of `seed` (its default sizes: the organism's world). */
export function worldEvaluation(options: WorldEvalOptions & { seed?: number }): WorldEvaluation {
  const data = generateWorldData({ seed: options.seed ?? 0 });
  return { sets: worldEvalSets(data, options), labeller: WorldLabellerJudge.forWorld(data) };
}
