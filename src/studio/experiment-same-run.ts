// Whether a run folder may be continued by a preset: the settings that decide a unit's outcome,
// compared between the saved state and the one the runner would start (experiment-run.ts).

import type { ExperimentPreset } from './experiment';
import { EXPERIMENT_FORMAT, EXPERIMENT_STATE, type ExperimentState } from './experiment-store';

/**
 * The preset without its evaluation batch size: greedy answers do not depend on how the prompts are
 * batched (tests/model/generate.test.ts; the quick preset's untuned answers were the same at 16, 32,
 * 64 and 128 prompts a batch), so a run may continue with another batch size.
 */
function outcomeSettings(preset: ExperimentPreset): Omit<ExperimentPreset, 'evaluate'> & { evaluate: Omit<ExperimentPreset['evaluate'], 'batchSize'> } {
  const { batchSize: _batchSize, ...evaluate } = preset.evaluate;
  return { ...preset, evaluate };
}

/** What decides a unit's outcome besides its arm, task and seed: every preset setting but which arms, tasks and seeds run. */
function unitSettings(preset: ExperimentPreset): Omit<ReturnType<typeof outcomeSettings>, 'name' | 'summary' | 'arms' | 'tasks' | 'seeds'> {
  const { name: _name, summary: _summary, arms: _arms, tasks: _tasks, seeds: _seeds, ...settings } = outcomeSettings(preset);
  return settings;
}

/** Unit settings without the evaluated halves: a kept unit can be evaluated on another half later. */
function unitSettingsBesideHalves(preset: ExperimentPreset) {
  const settings = unitSettings(preset);
  const { halves: _halves, ...evaluate } = settings.evaluate;
  return { ...settings, evaluate };
}

/**
 * Refuse to continue a folder made by other settings, another model or other judges: its units
 * would not compare. With `extend`, another preset is accepted when its units are computed alike
 * (the same unit settings but the halves evaluated, and the same definition for every arm both
 * presets have); a kept unit is evaluated on a half it lacks.
 */
export function checkSameRun(saved: ExperimentState, fresh: ExperimentState, extend: boolean): void {
  const differs = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`experiment: the run folder holds a run with another ${what} (${JSON.stringify(a).slice(0, 120)}); continue it with the same settings, or choose a new folder.`);
  };
  if (saved.format !== EXPERIMENT_FORMAT) throw new Error(`experiment: the run folder's ${EXPERIMENT_STATE} is not an experiment state of this version (format ${JSON.stringify(saved.format)}).`);
  if (!extend) differs('preset', outcomeSettings(saved.preset), outcomeSettings(fresh.preset));
  else {
    differs('budget, replay, evaluation or mix (unit settings)', unitSettingsBesideHalves(saved.preset), unitSettingsBesideHalves(fresh.preset));
    for (const arm of fresh.preset.arms) {
      const before = saved.preset.arms.find((a) => a.id === arm.id);
      if (before) differs(`definition of arm ${arm.id}`, before, arm);
    }
  }
  differs('model', saved.model, fresh.model);
  differs('judges', saved.judges, fresh.judges);
  differs('world seed', saved.worldSeed, fresh.worldSeed);
}
