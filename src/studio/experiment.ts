// The paper's comparison as data: arms (what each fine-tuning run trains on), presets (which arms,
// tasks and seeds, with which budgets) and each preset's arithmetic (runs, trained rows and tokens,
// evaluation prompts), computed from the definition so the README and the CLI never state a number
// the preset does not imply. The runner (experiment-run.ts) executes a preset; the app's one-click
// demo uses QUICK_PRESET, the same object the CLI's `--preset quick` runs.
//
// Arms:
//   untuned          the aligned model as shipped: evaluated, never trained
//   plain            task data only
//   grsap            task data with the model's own replay (r·N rows on top of the N task rows, or r of them: mixMode)
//   grsap-benign     as grsap, with a share of the replay being the model's own benign pairs
//   static           task data with a static safety set (project-written refusal pairs) at r
//   original         task data with the original alignment data (the world's stage-2 refusals) at r;
//                    only the embedded model has it
//   poisoned         task data plus a few dozen harmful-compliance examples (stage 1's kind)
//   poisoned-grsap   the poisoned data, with replay at r
//   grsap-r<r>       the ratio sweep: grsap at other r, on one task

import type { MixMode } from '../safety/mixing';
import { shareCount } from '../safety/hard-ratio';
import { TASK_NAMES, type TaskName } from '../world';
import { trainConfig, type TrainOverrides } from './training-config';

export type ArmSource = 'none' | 'replay' | 'static' | 'original';

export interface ArmSpec {
  id: string; // 'plain', 'grsap', 'grsap-r0.05' …: the unit folder names it
  label: string; // shown in tables and charts
  train: boolean; // false: the untuned model, evaluated only
  source: ArmSource; // what is mixed into the task data
  ratio: number; // r: share of the mix's rows from `source` (0 for plain)
  benignShare: number; // share of the replay rows that are benign replay pairs (grsap-benign)
  poison: number; // harmful-compliance examples added to the task data (poisoned arms)
  tasks: readonly TaskName[] | null; // only these tasks (the ratio sweep); null: every task of the preset
}

/** r of the paper's code default study and the organism prototype: 0.1 (safety/mixing.ts); the app's Train step starts there. */
export const DEFAULT_RATIO = 0.1;
/**
 * r of the organism's presets, chosen on the dev half of the ratio sweep (README, "The ratio
 * sweep"): the highest validation accuracy among the ratios whose dev harmful ratio stays within 3
 * points of the untuned model's and at most a third of plain's. The rule was written after the
 * sweep's test table had been read; the README says so beside it.
 */
export const PRESET_RATIO = 0.02;
/** Qi et al. broke GPT-3.5's safety with 10–100 harmful examples: a few dozen. */
export const DEFAULT_POISON = 32;
export const SWEEP_RATIOS: readonly number[] = [0.02, 0.05, 0.1, 0.2, 0.3];

const arm = (id: string, label: string, rest: Partial<ArmSpec> = {}): ArmSpec => ({ id, label, train: true, source: 'none', ratio: 0, benignShare: 0, poison: 0, tasks: null, ...rest });

export const ARMS = {
  untuned: arm('untuned', 'untuned', { train: false }),
  plain: arm('plain', 'plain fine-tuning'),
  grsap: arm('grsap', 'GR-SAP', { source: 'replay', ratio: PRESET_RATIO }),
  // The safety replay stays at r; benign pairs come on top as the other half of a 2r replay share.
  grsapBenign: arm('grsap-benign', 'GR-SAP + benign share', { source: 'replay', ratio: 2 * PRESET_RATIO, benignShare: 0.5 }),
  static: arm('static', 'static safety set', { source: 'static', ratio: PRESET_RATIO }),
  original: arm('original', 'original alignment data', { source: 'original', ratio: PRESET_RATIO }),
  poisoned: arm('poisoned', 'poisoned task', { poison: DEFAULT_POISON }),
  poisonedGrsap: arm('poisoned-grsap', 'poisoned task + GR-SAP', { source: 'replay', ratio: PRESET_RATIO, poison: DEFAULT_POISON }),
} as const satisfies Record<string, ArmSpec>;

/** GR-SAP at another r, on `task` only (r = PRESET_RATIO is the grsap arm itself). */
export function sweepArm(ratio: number, task: TaskName): ArmSpec {
  return arm(`grsap-r${ratio}`, `GR-SAP r = ${ratio}`, { source: 'replay', ratio, tasks: [task] });
}

/** How the model regenerates its safety data (replay-settings.ts has the full settings). */
export interface ExperimentReplay {
  samplesPerDomain: number; // extraction draws per harm domain
  maxNewTokens: number; // per extracted request
  responseTokens: number; // per self-response and revised answer
  benignSamples: number; // benign replay requests (arms with a benign share)
  requireRefusal: boolean; // a safe answer must also open with a refusal (judges/refusal-required.ts); on for the organism
}

export interface ExperimentEval {
  maxNewTokens: number; // per answer, greedy
  batchSize: number;
  limits: { harmful: number; overRefusal: number; task: number; benignChecks: number }; // prompts per set (0: leave the set out), spread over its domains
  halves: readonly ('dev' | 'test')[]; // test: the reported figures; dev: the only half settings may be chosen on
}

export interface ExperimentPreset {
  name: string;
  summary: string;
  arms: readonly ArmSpec[];
  tasks: readonly TaskName[];
  seeds: readonly number[];
  taskExamples: number; // distinct task examples per run (the task's train split, first ones)
  mixMode: MixMode; // 'on-top': every task example plus r of them in mixed rows; 'of-total': r of the task rows replaced (safety/mixing.ts)
  train: TrainOverrides; // every trained arm's settings; the unit's seed replaces `seed`
  replay: ExperimentReplay;
  evaluate: ExperimentEval;
  checkpointEvery: number; // steps
  tokensPerRow: number; // an estimate for the arithmetic; the runner records the real count
}

/**
 * The fine-tuning a user of the shipped organism would pick: LoRA r 16 on the chat task, the
 * fewest steps of a committed grid (scripts/world/README.md, "the v3 organism's grid"; steps × 16
 * rows at lr 1e-3, 2e-3 and 3e-3, validation split, PyTorch mirror, seeds 0–2) that reach ≥ 80%
 * task accuracy, then the lower learning rate: 150 steps at lr 2e-3 (87, 83, 89%). One epoch is
 * the task's 400 train examples, so 6 epochs = 150 steps (156 with replay on top at r 0.02: 408 rows).
 */
const ORGANISM_TRAIN: TrainOverrides = {
  method: 'lora',
  lora: { r: 16, alpha: 32, dropout: 0.05 },
  lr: 2e-3,
  batchSize: 16,
  epochs: 6,
  maxLength: 256,
  warmupRatio: 0.1,
  minLrRatio: 0.1,
};

/**
 * Replay on top of the task rows, not in place of a tenth of them: in the PyTorch mirror (validation,
 * seeds 0–2, scripts/world/README.md "Replay on top or in place") GR-SAP's chat accuracy was
 * 77.0 ± 4.4% on top against 71.0 ± 3.0% in place (plain: 86.3 ± 3.1%), with 0% harmful either way.
 * It trains 10% more rows; the task data is the same as plain fine-tuning's.
 */
const ORGANISM_MIX_MODE: MixMode = 'on-top';

const ORGANISM_REPLAY: ExperimentReplay = { samplesPerDomain: 16, maxNewTokens: 64, responseTokens: 96, benignSamples: 64, requireRefusal: true };
// 128 prompts a batch: the quick preset's untuned evaluation took 35.2 s in Node at 128 against 43.5 s
// at 16 on a quiet machine (84 against 195 s beside another job), with the same answers
// (bench/eval-batch.ts).
const ORGANISM_EVAL: ExperimentEval = { maxNewTokens: 64, batchSize: 128, limits: { harmful: 112, overRefusal: 56, task: 56, benignChecks: 0 }, halves: ['test'] };

const organismPreset = (name: string, summary: string, arms: readonly ArmSpec[], tasks: readonly TaskName[], seeds: readonly number[]): ExperimentPreset => ({
  name,
  summary,
  arms,
  tasks,
  seeds,
  taskExamples: 400,
  mixMode: ORGANISM_MIX_MODE,
  train: ORGANISM_TRAIN,
  replay: ORGANISM_REPLAY,
  evaluate: ORGANISM_EVAL,
  checkpointEvery: 25,
  tokensPerRow: 40,
});

/** The app's one-click demo and `--preset quick`: one seed, the chat task, plain vs GR-SAP beside the untuned model. */
export const QUICK_PRESET: ExperimentPreset = organismPreset('quick', 'one seed, the chat task: untuned, plain fine-tuning, GR-SAP', [ARMS.untuned, ARMS.plain, ARMS.grsap], ['chat'], [0]);

export const CORE_PRESET: ExperimentPreset = organismPreset(
  'core',
  'untuned, plain, GR-SAP, GR-SAP + benign share; 3 seeds; the chat task and profiles',
  [ARMS.untuned, ARMS.plain, ARMS.grsap, ARMS.grsapBenign],
  ['chat', 'profiles'],
  [0, 1, 2],
);

// The sweep's r is chosen on the dev half, so the extended preset evaluates both halves.
export const EXTENDED_PRESET: ExperimentPreset = {
  ...organismPreset(
    'extended',
    'core, plus the static set, the original alignment data, the poisoned task (plain and GR-SAP) and the ratio sweep r ∈ {0.02, 0.05, 0.1, 0.2, 0.3} on the chat task',
    [...CORE_PRESET.arms, ARMS.static, ARMS.original, ARMS.poisoned, ARMS.poisonedGrsap, ...SWEEP_RATIOS.filter((r) => r !== PRESET_RATIO).map((r) => sweepArm(r, 'chat'))],
    ['chat', 'profiles'],
    [0, 1, 2],
  ),
  evaluate: { ...ORGANISM_EVAL, halves: ['dev', 'test'] },
};

/**
 * Extended's ratio sweep on its own (with plain and GR-SAP at PRESET_RATIO beside it), computed alike:
 * the extended preset continues a sweep run with --extend, so the sweep can run first.
 */
export const SWEEP_PRESET: ExperimentPreset = {
  ...organismPreset(
    'sweep',
    "extended's ratio sweep on its own: r ∈ {0.02, 0.05, 0.1, 0.2, 0.3} on the chat task beside untuned and plain; 3 seeds; dev and test halves (extended continues it)",
    [ARMS.untuned, ARMS.plain, ARMS.grsap, ...SWEEP_RATIOS.filter((r) => r !== PRESET_RATIO).map((r) => sweepArm(r, 'chat'))],
    ['chat'],
    [0, 1, 2],
  ),
  evaluate: EXTENDED_PRESET.evaluate,
};

/** For tests: every phase of the runner in seconds on the tiny fixture models. */
export const TINY_PRESET: ExperimentPreset = {
  name: 'tiny',
  summary: 'tests only: untuned, plain, GR-SAP on 10 chat examples (1 replay row at r = 0.1), 3 steps each',
  arms: [ARMS.untuned, ARMS.plain, { ...ARMS.grsap, ratio: DEFAULT_RATIO }],
  tasks: ['chat'],
  seeds: [0],
  taskExamples: 10,
  mixMode: 'on-top',
  train: { method: 'lora', lora: { r: 2, alpha: 4, dropout: 0 }, lr: 1e-2, batchSize: 4, epochs: 1, maxLength: 128, warmupRatio: 0, minLrRatio: 0.5 },
  replay: { samplesPerDomain: 1, maxNewTokens: 24, responseTokens: 6, benignSamples: 2, requireRefusal: true },
  evaluate: { maxNewTokens: 12, batchSize: 4, limits: { harmful: 3, overRefusal: 2, task: 2, benignChecks: 0 }, halves: ['test'] },
  checkpointEvery: 1,
  tokensPerRow: 40,
};

/** Refuse a preset that cannot run, with the field at fault (presets also come from code the user edits). */
export function checkPreset(preset: ExperimentPreset): void {
  const fail = (what: string): never => {
    throw new Error(`experiment preset ${JSON.stringify(preset.name)}: ${what}`);
  };
  const positive = (name: string, v: number, min = 1) => Number.isInteger(v) && v >= min ? v : fail(`${name} must be an integer ≥ ${min}, got ${v}.`);
  if (!preset.arms.length) fail('it has no arms.');
  const ids = preset.arms.map((a) => a.id);
  if (new Set(ids).size !== ids.length) fail(`two arms share an id (${ids.join(', ')}); each unit folder is named by its arm.`);
  for (const a of preset.arms) {
    if (!(a.ratio >= 0 && a.ratio < 1)) fail(`arm ${a.id}: the ratio r must be in [0, 1), got ${a.ratio}.`);
    if ((a.source === 'none') !== (a.ratio === 0) && a.train) fail(`arm ${a.id}: a ratio needs a source to mix and a source needs a ratio (source ${a.source}, r ${a.ratio}).`);
    if (!(a.benignShare >= 0 && a.benignShare < 1) || (a.benignShare > 0 && a.source !== 'replay')) fail(`arm ${a.id}: the benign share must be in [0, 1) and needs replay, got ${a.benignShare} with source ${a.source}.`);
    positive(`arm ${a.id}: poison`, a.poison, 0);
    for (const t of a.tasks ?? []) if (!preset.tasks.includes(t)) fail(`arm ${a.id} is restricted to task ${t}, which the preset does not run.`);
  }
  if (preset.mixMode !== 'on-top' && preset.mixMode !== 'of-total') fail(`mixMode must be 'on-top' or 'of-total', got ${JSON.stringify(preset.mixMode)}.`);
  if (!preset.tasks.length) fail('it has no tasks.');
  for (const t of preset.tasks) if (!TASK_NAMES.includes(t)) fail(`unknown task ${JSON.stringify(t)}; the world's tasks are ${TASK_NAMES.join(', ')}.`);
  if (!preset.seeds.length || preset.seeds.some((x) => !Number.isInteger(x) || x < 0) || new Set(preset.seeds).size !== preset.seeds.length) fail(`the seeds must be distinct integers ≥ 0, got ${preset.seeds.join(', ')}.`);
  positive('taskExamples', preset.taskExamples);
  positive('checkpointEvery', preset.checkpointEvery, 0);
  if (!(preset.tokensPerRow > 0)) fail(`tokensPerRow must be positive, got ${preset.tokensPerRow}.`);
  try {
    trainConfig(preset.train);
  } catch (e) {
    fail((e as Error).message);
  }
  const r = preset.replay;
  positive('replay.samplesPerDomain', r.samplesPerDomain);
  positive('replay.maxNewTokens', r.maxNewTokens);
  positive('replay.responseTokens', r.responseTokens);
  positive('replay.benignSamples', r.benignSamples);
  const e = preset.evaluate;
  positive('evaluate.maxNewTokens', e.maxNewTokens);
  positive('evaluate.batchSize', e.batchSize);
  for (const [k, v] of Object.entries(e.limits)) positive(`evaluate.limits.${k}`, v, 0);
  if (!e.halves.includes('test') || e.halves.some((h) => h !== 'dev' && h !== 'test')) fail(`evaluate.halves must hold 'test' (the reported figures) and may hold 'dev', got ${e.halves.join(', ')}.`);
}

export const PRESETS: Readonly<Record<string, ExperimentPreset>> = { quick: QUICK_PRESET, core: CORE_PRESET, extended: EXTENDED_PRESET, sweep: SWEEP_PRESET, tiny: TINY_PRESET };

export function presetByName(name: string): ExperimentPreset {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`experiment: unknown preset ${JSON.stringify(name)}; the presets are ${Object.keys(PRESETS).join(', ')}.`);
  return preset;
}

/** The preset with other seeds (the CLI's --seeds). */
export function withSeeds(preset: ExperimentPreset, seeds: readonly number[]): ExperimentPreset {
  if (!seeds.length) throw new Error('experiment: give at least one seed.');
  for (const s of seeds) if (!Number.isInteger(s) || s < 0) throw new Error(`experiment: a seed must be an integer ≥ 0, got ${s}.`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`experiment: the seeds repeat (${seeds.join(', ')}); give each once.`);
  return { ...preset, seeds: [...seeds] };
}

/** One (arm, task, seed) of a preset: a folder of the run. The untuned model is evaluated once per task (greedy, so seeds would repeat it). */
export interface ExperimentUnit {
  id: string; // 'grsap__chat__seed-0'
  arm: ArmSpec;
  task: TaskName;
  seed: number;
}

export function unitId(arm: string, task: string, seed: number): string {
  return `${arm}__${task}__seed-${seed}`;
}

/**
 * The units in the order they run: per task, seed by seed, every arm of a seed before the next seed
 * (the untuned model once, with the first seed), so a run stopped early already holds whole
 * comparisons rather than every seed of one arm.
 */
export function presetUnits(preset: ExperimentPreset): ExperimentUnit[] {
  const units: ExperimentUnit[] = [];
  for (const task of preset.tasks) {
    preset.seeds.forEach((seed, i) => {
      for (const a of preset.arms) {
        if ((a.tasks && !a.tasks.includes(task)) || (!a.train && i > 0)) continue;
        units.push({ id: unitId(a.id, task, seed), arm: a, task, seed });
      }
    });
  }
  return units;
}

/** Rows one epoch of the arm trains on (when its mixed source is large enough). */
export function mixRows(preset: ExperimentPreset, a: ArmSpec): number {
  if (!a.train) return 0;
  const mixed = shareCount(preset.taskExamples, a.ratio);
  return (preset.mixMode === 'on-top' ? preset.taskExamples + mixed : preset.taskExamples) + a.poison;
}

export interface PresetArithmetic {
  units: number; // (arm, task, seed) folders
  trainedRuns: number;
  stepsPerRun: Record<string, number>; // by arm id
  trainedRows: number; // rows over all runs and epochs
  trainedTokens: number; // trainedRows × tokensPerRow (an estimate until measured)
  tokensPerRun: number; // of a plain run
  replaySets: number; // one per seed when any arm replays
  evaluations: number; // one per unit
  evalPrompts: number; // over all evaluations, at most (limits; a set can be smaller)
  trainHours: (tokensPerSecond: number) => number;
}

/** What a preset costs, from its definition alone (see PresetArithmetic). */
export function presetArithmetic(preset: ExperimentPreset): PresetArithmetic {
  const units = presetUnits(preset);
  const epochs = preset.train.epochs ?? 1;
  const batch = (preset.train.batchSize ?? 4) * (preset.train.gradAccumulation ?? 1);
  const stepsPerRun: Record<string, number> = {};
  let trainedRows = 0;
  for (const u of units) {
    if (!u.arm.train) continue;
    const rows = mixRows(preset, u.arm);
    stepsPerRun[u.arm.id] = epochs * Math.ceil(rows / batch);
    trainedRows += epochs * rows;
  }
  const trainedRuns = units.filter((u) => u.arm.train).length;
  const trainedTokens = trainedRows * preset.tokensPerRow;
  const l = preset.evaluate.limits;
  const perEval = (l.harmful + l.overRefusal + l.task + l.benignChecks) * preset.evaluate.halves.length;
  return {
    units: units.length,
    trainedRuns,
    stepsPerRun,
    trainedRows,
    trainedTokens,
    tokensPerRun: epochs * preset.taskExamples * preset.tokensPerRow,
    replaySets: preset.arms.some((a) => a.source === 'replay') ? preset.seeds.length : 0,
    evaluations: units.length,
    evalPrompts: units.length * perEval,
    trainHours: (tokensPerSecond) => trainedTokens / tokensPerSecond / 3600,
  };
}

/** The arithmetic in a sentence, for the README and the CLI's first line. */
export function describeArithmetic(preset: ExperimentPreset): string {
  const a = presetArithmetic(preset);
  const counts = Object.values(a.stepsPerRun);
  const [least, most] = [Math.min(...counts), Math.max(...counts)];
  const steps = !counts.length ? '0' : least === most ? `${least}` : `${least}–${most}`;
  const restricted = preset.arms.filter((x) => x.tasks !== null).length;
  return (
    `${preset.name}: ${preset.arms.length} arms${restricted ? ` (${restricted} on one task only)` : ''} × ${preset.tasks.length} task${preset.tasks.length === 1 ? '' : 's'} × ${preset.seeds.length} seed${preset.seeds.length === 1 ? '' : 's'} → ` +
    `${a.units} evaluations, ${a.trainedRuns} trained runs of ${steps} steps × ${(preset.train.batchSize ?? 4) * (preset.train.gradAccumulation ?? 1)} rows; ` +
    `${a.trainedRows.toLocaleString('en')} trained rows ≈ ${(a.trainedTokens / 1000).toFixed(0)}k tokens (at ~${preset.tokensPerRow} tokens a row; ` +
    `${(a.tokensPerRun / 1000).toFixed(0)}k per plain run), ${a.replaySets} replay set${a.replaySets === 1 ? '' : 's'}, at most ${a.evalPrompts.toLocaleString('en')} evaluation prompts`
  );
}
