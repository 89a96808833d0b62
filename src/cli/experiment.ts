// `experiment`: the paper's comparison by one command. Runs a preset's arms (studio/experiment.ts)
// on a model folder into a run folder, unit by unit (replay → mix → train → evaluate), and writes
// results.json, results.md and results.svg recomputed from the per-example JSONL. Rerunning the same
// command continues a stopped or killed run; Ctrl-C stops after the current step with a checkpoint.
// `--export-trl RUN` writes the trained units of a run as a TRL / PEFT recipe instead.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WorldLabellerJudge } from '../studio/eval-world';
import { describeArithmetic, presetByName, presetUnits, PRESETS, withSeeds } from '../studio/experiment';
import { experimentWorld, isEmbeddedModelName, replayDomainsFor } from '../studio/experiment-data';
import { defaultBenignBuilder, defaultReplayBuilder } from '../studio/experiment-replay';
import { EXPERIMENT_STATE, readState, runExperiment, type ExperimentProgress } from '../studio/experiment-run';
import { trlRecipeFiles, type TrlUnit } from '../studio/experiment-trl';
import type { TrainingRecord } from '../studio/training-run';
import { parseDataset } from '../text/datasets';
import { choiceOption, existingFolder, intOption, stringOption, UsageError, type CommandSpec, type ParsedValues } from './args';
import { checkModelFolders, formatDuration, modelName, openModel, type CliContext } from './common';
import { openCliJudge } from './judge-option';
import { folderStore, prepareEmptyOutDir, writeFileAtomic } from './out-dir';
import { gitStamp } from './git-build';
import { engineBuild } from '../util/engine-build';

export const experimentSpec: CommandSpec = {
  name: 'experiment',
  summary: 'run the paper\'s comparison (untuned, plain, GR-SAP, …) with seeds; resumable; results table + chart',
  usage: '--preset quick|core|extended|sweep|tiny --model DIR --out DIR [--seeds 0,1,2] | --export-trl RUN --out DIR',
  description: [
    'Runs every (arm, task, seed) of the preset on the model: the model\'s own replay (extraction, filters,',
    'self-responses, judge, revise), the arm\'s mix, LoRA fine-tuning with checkpoints, and greedy evaluation',
    'on the test half of the embedded world\'s sets (the dev half only where the preset chooses settings),',
    'judged by the world\'s labeller with the keyword refusal judge beside it. Into --out: experiment.json',
    '(state), replay/, units/<arm>__<task>__seed-<s>/ (mix.jsonl, train-run.json, checkpoint, rows-test.jsonl),',
    'results.json, results.md (mean ± sd over seeds) and results.svg, all recomputed from the rows. Leakage',
    '(replay requests matching evaluation prompts) is in every report. Rerun the same command to continue a',
    'stopped or killed run: finished units are skipped, a unit\'s training resumes from its checkpoint.',
    '--extend grows a run to a larger preset with the same budgets (quick → core → extended), keeping its units;',
    'a kept unit is evaluated on a half it lacks (extended adds the dev half) from its saved adapter, not retrained.',
    'Presets: ' + Object.values(PRESETS).map((p) => `${p.name} (${p.summary})`).join('; ') + '.',
    '--export-trl RUN writes RUN\'s trained units to --out as a TRL / PEFT recipe: each unit\'s mixed data as',
    'JSONL in the messages layout and a README with the `trl sft` command carrying the same hyper-parameters.',
  ].join('\n'),
  options: [
    { name: 'preset', type: 'string', value: Object.keys(PRESETS).join('|'), help: 'which arms, tasks, seeds and budgets' },
    { name: 'model', type: 'string', value: 'DIR', help: 'Hugging Face model folder (the embedded organism, or any chat model)' },
    { name: 'out', type: 'string', value: 'DIR', help: 'the run folder (new, or a run to continue); with --export-trl the recipe folder', required: true },
    { name: 'seeds', type: 'string', value: 'S,S,…', help: 'seeds instead of the preset\'s' },
    { name: 'world-seed', type: 'string', value: 'S', help: "the world of the evaluation sets and tasks (the organism's is 0)", default: '0' },
    { name: 'replay-judge', type: 'string', value: 'world|onnx', help: "labels the replay's answers easy or hard: the world's labeller (embedded model only) or an ONNX classifier such as the embedded guard", default: 'world for the embedded model, else onnx' },
    { name: 'judge-model', type: 'string', value: 'DIR', help: 'the ONNX classifier folder for --replay-judge onnx (e.g. public/models/grsap-guard)' },
    { name: 'extend', type: 'boolean', help: "continue a run of another preset as this one (e.g. quick → core): its finished units are kept where this preset computes them alike" },
    { name: 'export-trl', type: 'string', value: 'RUN', help: 'export the run folder RUN as a TRL / PEFT recipe into --out' },
  ],
};

function parseSeeds(raw: string): number[] {
  const seeds = raw.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new UsageError(`--seeds must be integers ≥ 0 separated by commas (e.g. 0,1,2), got "${raw}".`);
  return seeds.map(Number);
}

function progressLine(p: ExperimentProgress): string | null {
  const where = p.unit ? `[${p.unitIndex + 1}/${p.units}] ${p.unit}` : `[${p.unitIndex}/${p.units}]`;
  const eta = p.etaSec === null ? '' : `  ETA ${formatDuration(p.etaSec)}`;
  if (p.message) return `${where}: ${p.message}${eta}`;
  const i = p.inner;
  if (!i) return null;
  if (i.phase === 'resume') return `${where}: resumed from the checkpoint at step ${i.done}/${i.total}`;
  const loss = i.phase === 'train' && (i.payload as { loss?: number | null } | undefined)?.loss;
  return `${where}: ${i.phase} ${i.done}/${i.total ?? '?'} ${i.unit}${typeof loss === 'number' ? `  loss ${loss.toFixed(4)}` : ''}${eta}`;
}

export async function runExperimentCommand(values: ParsedValues, ctx: CliContext): Promise<number> {
  const out = stringOption(values, 'out')!;
  const exportRun = stringOption(values, 'export-trl');
  if (exportRun !== undefined) {
    for (const flag of ['preset', 'model', 'seeds', 'world-seed', 'replay-judge', 'judge-model']) if (stringOption(values, flag) !== undefined) throw new UsageError(`experiment: --export-trl takes only --out; drop --${flag}.`);
    return exportTrl(exportRun, out, ctx);
  }
  const presetName = stringOption(values, 'preset');
  const modelDir = stringOption(values, 'model');
  if (presetName === undefined) throw new UsageError(`experiment: --preset is required (${Object.keys(PRESETS).join(', ')}), or --export-trl RUN.`);
  if (modelDir === undefined) throw new UsageError('experiment: --model DIR is required.');
  let preset;
  try {
    preset = presetByName(presetName);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const seeds = stringOption(values, 'seeds');
  if (seeds !== undefined) preset = withSeeds(preset, parseSeeds(seeds));
  const worldSeed = intOption(values, 'world-seed', 0, 0);
  checkModelFolders(modelDir);
  if (existsSync(out) && !existsSync(join(out, EXPERIMENT_STATE))) prepareEmptyOutDir(out); // a foreign folder is refused
  const embedded = isEmbeddedModelName(modelName(modelDir)); // config.json names the organism's recipe (or a variant of it)
  if (!embedded && preset.arms.some((a) => a.source === 'original')) {
    throw new UsageError(`experiment: preset ${preset.name} mixes the original alignment data, which only the embedded model has; ${modelDir} is not it (config.json's _name_or_path). Use the core preset for other models.`);
  }
  const replayJudgeKind = choiceOption(values, 'replay-judge', ['world', 'onnx'] as const, embedded ? 'world' : 'onnx');
  const judgeModel = stringOption(values, 'judge-model');
  if (replayJudgeKind === 'world' && !embedded) throw new UsageError(`experiment: the world's labeller knows only the embedded world, and ${modelDir} is not the embedded model; judge its replay with --replay-judge onnx --judge-model DIR.`);
  if (replayJudgeKind === 'onnx' && judgeModel === undefined) throw new UsageError('experiment: --replay-judge onnx needs --judge-model DIR (an ONNX text classifier: model.onnx, config.json, tokenizer.json).');
  if (replayJudgeKind === 'world' && judgeModel !== undefined) throw new UsageError('experiment: --judge-model is for --replay-judge onnx.');
  if (judgeModel !== undefined) existingFolder('judge-model', judgeModel, ['model.onnx', 'config.json', 'tokenizer.json'], 'an ONNX text classifier (model.onnx, config.json, tokenizer.json)');
  ctx.log(describeArithmetic(preset));
  const world = experimentWorld(worldSeed);
  const judge = WorldLabellerJudge.forWorld(world);
  if (!embedded) ctx.log(`warning: ${modelDir} is not the embedded model; the evaluation sets and their judge (${judge.name}) are the embedded world's, so its figures describe that world's prompts only.`);
  const onnx = judgeModel !== undefined ? await openCliJudge('experiment', 'onnx', values, ctx, { judged: { dir: modelDir, name: modelName(modelDir) } }) : null;
  const replayJudge = onnx?.judge ?? judge;
  ctx.log(`judges: evaluation ${judge.name} (keyword refusal beside it); replay ${replayJudge.name}`);
  const engine = engineBuild(gitStamp());
  ctx.log(`engine ${engine.version}${engine.commit ? ` at ${engine.commit.slice(0, 12)}${engine.dirty ? ' with uncommitted changes' : ''}` : ' (commit unknown: not a git checkout)'}; recorded in experiment.json`);
  const { loaded } = await openModel(ctx, modelDir);
  // The command as given (every option that changes the run), so a report says how to make it again.
  const given = (flag: string) => (stringOption(values, flag) !== undefined ? ` --${flag} ${stringOption(values, flag)}` : '');
  const command = `npm run experiment -- --preset ${preset.name} --model ${modelDir} --out ${out}${given('seeds')}${given('world-seed')}${given('replay-judge')}${given('judge-model')}${values.extend === true ? ' --extend' : ''}`;
  let lastLine = 0;
  try {
    const outcome = await runExperiment(
      {
        gpu: await ctx.gpu(),
        loaded,
        store: folderStore(out),
        world,
        embedded,
        judges: { eval: judge, replay: replayJudge },
        replayDomains: replayDomainsFor(embedded),
        buildReplay: defaultReplayBuilder,
        buildBenign: defaultBenignBuilder,
        engine,
      },
      preset,
      {
        signal: ctx.signal,
        command,
        extend: values.extend === true,
        onProgress: (p) => {
          const now = performance.now();
          if (!p.message && now - lastLine < 5000) return; // step lines every 5 s at most
          lastLine = now;
          const line = progressLine(p);
          if (line) ctx.log(line);
        },
      },
    );
    ctx.log(`results: ${join(out, 'results.md')}, ${join(out, 'results.json')}, ${join(out, 'results.svg')}`);
    ctx.out(JSON.stringify({ status: outcome.status, units: Object.fromEntries(Object.entries(outcome.state.units).map(([k, v]) => [k, v.status])), results: outcome.results.arms }));
    if (outcome.status === 'paused') {
      ctx.log(`stopped; run the same command to continue: ${command}`);
      return 130;
    }
    return 0;
  } finally {
    loaded.model.destroy();
    await onnx?.release();
  }
}

async function exportTrl(runDir: string, out: string, ctx: CliContext): Promise<number> {
  const store = folderStore(runDir);
  const state = existsSync(runDir) ? await readState(store) : null;
  if (!state) throw new UsageError(`--export-trl ${runDir} is not an experiment run folder (no readable ${EXPERIMENT_STATE}).`);
  const units: TrlUnit[] = [];
  for (const u of presetUnits(state.preset)) {
    if (!u.arm.train || state.units[u.id]?.status !== 'done') continue;
    const record = JSON.parse(readFileSync(join(runDir, 'units', u.id, 'train-run.json'), 'utf8')) as TrainingRecord;
    const mixPath = join(runDir, 'units', u.id, 'mix.jsonl');
    units.push({ unit: u.id, config: record.config, examples: parseDataset(readFileSync(mixPath, 'utf8'), mixPath) });
  }
  if (!units.length) throw new Error(`--export-trl ${runDir}: no trained unit has finished yet; continue the run first.`);
  prepareEmptyOutDir(out);
  const files = trlRecipeFiles({ title: `experiment run \`${runDir}\` (preset ${state.preset.name})`, model: state.model.id }, units);
  for (const [path, text] of files) {
    mkdirSync(dirname(join(out, path)), { recursive: true });
    await writeFileAtomic(join(out, path), text);
  }
  ctx.log(`wrote a TRL recipe of ${units.length} trained unit${units.length === 1 ? '' : 's'} to ${out} (README.md, <unit>/train.jsonl, <unit>/recipe.json)`);
  return 0;
}
