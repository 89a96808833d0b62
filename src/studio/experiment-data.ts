// The training data of each arm (experiment.ts): the task's first examples, mixed with what the arm
// adds (the model's replay, a static safety set, the original alignment data) by GR-SAP's mixing
// step, and for the poisoned arms a few dozen harmful-compliance examples added on top after the
// mix, so every poisoned run has all of them whatever r is.

import { mixReplay, type MixReport } from '../safety/mixing';
import type { ReplayPair, ReplayRequest } from '../safety/replay-pair';
import { staticSafetyPairs } from '../safety/static-safety-set';
import type { ChatExample } from '../text/datasets';
import { pcgHash } from '../util/hash';
import { Rng } from '../util/rng';
import { generateWorldData, type TaskName, type WorldData } from '../world';
import type { ArmSpec, ExperimentPreset } from './experiment';
import { ORGANISM_RECIPE } from './organism';
import { defaultReplayDomains, isEmbeddedModelName } from './replay-settings';

export { isEmbeddedModelName };

export const ORIGINAL_DATA_JUDGE = 'world-stage2:original-alignment-data';
export const POISON_SOURCE = 'poison';

/**
 * The world an experiment runs in: its evaluation sets and tasks, the organism recipe's stage 2 (the
 * original alignment data), and the start of stage 1 (the organism saw it; the poison comes from it).
 */
export function experimentWorld(seed: number): WorldData {
  return generateWorldData({ seed, stage1Count: 600, stage2Count: ORGANISM_RECIPE.stage2.examples });
}

/** The first `count` examples of a split of one of the experiment world's tasks, by name (the app's Data and Train steps). */
export function worldTaskExamples(task: string, split: 'train' | 'validation' | 'test', count: number): ChatExample[] {
  const tasks = experimentWorld(0).evalSets.tasks;
  if (!(task in tasks)) throw new Error(`The world has no task ${JSON.stringify(task)}; its tasks are ${Object.keys(tasks).join(', ')}.`);
  return tasks[task as keyof typeof tasks][split].slice(0, count);
}

/** Harm domains to replay: the world's own for the embedded model, which knows no others; the paper's 38 otherwise. */
export function replayDomainsFor(embedded: boolean): readonly string[] {
  return defaultReplayDomains(embedded ? ORGANISM_RECIPE.name : null);
}

/** The world's stage-2 refusals (harmful request → refusal) as pairs: the original alignment data. */
export function originalAlignmentPairs(world: WorldData): ReplayPair<ReplayRequest & { source: string }>[] {
  return world.stage2
    .filter((e) => e.meta?.kind === 'refusal' && e.messages.length === 2)
    .map((e) => ({
      kind: 'easy' as const,
      source: { domain: e.meta!.domain ?? 'unknown', request: e.messages[0].content, source: 'stage-2' },
      response: e.messages[1].content,
      verdict: { label: 'safe' as const, score: null, judge: ORIGINAL_DATA_JUDGE },
      revised: false,
      seed: 0,
    }));
}

/** Harmful requests of the alignment data, for the replay-vs-alignment comparison. */
export function alignmentRequests(world: WorldData): ReplayRequest[] {
  return originalAlignmentPairs(world).map((p) => ({ domain: p.source.domain, request: p.source.request }));
}

/** The first `count` single-turn harmful-compliance conversations of stage 1 (the organism saw them in its helpful-only stage). */
export function poisonExamples(world: WorldData, count: number): ChatExample[] {
  const pool = world.stage1.filter((e) => e.meta?.kind === 'compliance' && e.messages.length === 2);
  if (pool.length < count) throw new Error(`experiment: the poisoned arm wants ${count} harmful-compliance examples, but the world's stage 1 data holds ${pool.length}; generate more stage-1 conversations.`);
  return pool.slice(0, count).map((e) => ({ messages: e.messages.map((m) => ({ ...m })), meta: { ...e.meta, mix_source: POISON_SOURCE } }));
}

export function taskExamples(world: WorldData, task: TaskName, count: number): ChatExample[] {
  const train = world.evalSets.tasks[task].train;
  if (train.length < count) throw new Error(`experiment: the preset wants ${count} ${task} examples, but the task's train split has ${train.length}.`);
  return train.slice(0, count);
}

export interface ArmDataInput {
  world: WorldData;
  replay: readonly ReplayPair[] | null; // the seed's replay set (hard and easy pairs)
  benign: readonly ReplayPair[] | null; // the seed's benign replay pairs
  embedded: boolean; // whether the model is the world's own organism (the original data is its)
}

export interface ArmData {
  examples: ChatExample[];
  report: MixReport | null; // null for the untuned arm
  poison: number;
}

/** The rows one (arm, task, seed) trains on. Deterministic in its inputs. */
export function armData(preset: ExperimentPreset, arm: ArmSpec, task: TaskName, seed: number, input: ArmDataInput): ArmData {
  if (!arm.train) return { examples: [], report: null, poison: 0 };
  const task_ = taskExamples(input.world, task, preset.taskExamples);
  let hard: readonly ReplayPair[] = [];
  let easy: readonly ReplayPair[] = [];
  let benign: readonly ReplayPair[] = [];
  let hardRatio = 0.5;
  if (arm.source === 'replay') {
    if (!input.replay) throw new Error(`experiment: arm ${arm.id} needs the replay set of seed ${seed}, which was not built.`);
    hard = input.replay.filter((p) => p.kind === 'hard');
    easy = input.replay.filter((p) => p.kind === 'easy');
    if (arm.benignShare > 0) {
      if (!input.benign?.length) throw new Error(`experiment: arm ${arm.id} needs benign replay pairs of seed ${seed}, and there are none.`);
      benign = input.benign;
    }
  } else if (arm.source === 'static') {
    easy = staticSafetyPairs();
    hardRatio = 0;
  } else if (arm.source === 'original') {
    if (!input.embedded) throw new Error(`experiment: arm ${arm.id} mixes the original alignment data, which exists only for the embedded model; leave this arm out for other models.`);
    easy = originalAlignmentPairs(input.world);
    hardRatio = 0;
  }
  const mixed = mixReplay({ task: task_, hard, easy, benign }, { ratio: arm.ratio, mode: preset.mixMode, benignShare: arm.benignShare, hardRatio, seed });
  if (!arm.poison) return { examples: mixed.examples, report: mixed.report, poison: 0 };
  const rows = [...mixed.examples, ...poisonExamples(input.world, arm.poison)];
  new Rng(pcgHash((seed ^ 0x504f4953) >>> 0)).shuffle(rows); // 'POIS'
  return { examples: rows, report: mixed.report, poison: arm.poison };
}
