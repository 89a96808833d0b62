// `experiment` through the CLI on the tiny fixture model with the tiny preset: usage errors name the
// flag; a run whose replay yields nothing (a random model regenerates no request it refuses) stops at
// the GR-SAP unit with an actionable message after finishing the others; rerun with a replay set in
// place, it skips the finished units and completes; --export-trl writes a TRL recipe whose
// hyper-parameters are the run's.

import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { version as PACKAGE_VERSION } from '../../package.json';
import { gitStamp } from '../../src/cli/git-build';
import { replayPairToExample, type ReplayPair } from '../../src/safety/replay-pair';
import { trlArguments } from '../../src/studio/experiment-trl';
import type { TrainingRecord } from '../../src/studio/training-run';
import { removeTempFolders, runCli, tempFolder, TINY_MODEL } from './run-cli';

afterAll(removeTempFolders);

describe('CLI experiment', () => {
  it('refuses bad command lines by name, before any GPU work', async () => {
    const out = join(tempFolder(), 'run');
    const preset = await runCli(['experiment', '--preset', 'huge', '--model', TINY_MODEL, '--out', out]);
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/unknown preset "huge"; the presets are quick, core, extended, sweep, tiny/);
    const seeds = await runCli(['experiment', '--preset', 'tiny', '--model', TINY_MODEL, '--out', out, '--seeds', '0,x']);
    expect(seeds.code).toBe(2);
    expect(seeds.stderr).toMatch(/--seeds must be integers/);
    const original = await runCli(['experiment', '--preset', 'extended', '--model', TINY_MODEL, '--out', out]);
    expect(original.code).toBe(2);
    expect(original.stderr).toMatch(/original alignment data, which only the embedded model has/);
    const worldJudge = await runCli(['experiment', '--preset', 'tiny', '--model', TINY_MODEL, '--out', out, '--replay-judge', 'world']);
    expect(worldJudge.code).toBe(2);
    expect(worldJudge.stderr).toMatch(/the world's labeller knows only the embedded world/);
    const noGuard = await runCli(['experiment', '--preset', 'tiny', '--model', TINY_MODEL, '--out', out]);
    expect(noGuard.code).toBe(2);
    expect(noGuard.stderr).toMatch(/--replay-judge onnx needs --judge-model DIR/);
    const notRun = await runCli(['experiment', '--export-trl', tempFolder(), '--out', out]);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toMatch(/not an experiment run folder/);
    const help = await runCli(['experiment', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--preset', '--model DIR', '--out DIR', '--seeds', '--export-trl RUN']) expect(help.stdout).toContain(flag);
  });

  it('runs the tiny preset, continues after a failed unit without redoing finished ones, and exports a TRL recipe with the same hyper-parameters', async () => {
    // The tiny fixture under the embedded organism's name, so the world's labeller may judge its replay.
    const dir = tempFolder();
    const model = join(dir, 'model');
    cpSync(TINY_MODEL, model, { recursive: true });
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, _name_or_path: 'grsap-organism-tiny' }));
    const run = join(dir, 'run');
    const args = ['experiment', '--preset', 'tiny', '--model', model, '--out', run];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/grsap__chat__seed-0 needs replay, but the replay set of seed 0 holds no usable pair/);
    expect(first.stderr).toMatch(/3 evaluations, 2 trained runs/);
    expect(existsSync(join(run, 'units/plain__chat__seed-0/rows-test.jsonl'))).toBe(true);

    // A replay set in its place (as a finished replay would leave it); the rerun reads it back.
    const pair = (kind: 'easy' | 'hard', request: string): ReplayPair => ({ kind, source: { domain: 'violence', request }, response: "I can't help with that.", verdict: { label: 'safe', score: null, judge: 'test' }, revised: kind === 'hard', seed: 0 });
    writeFileSync(join(run, 'replay/seed-0.jsonl'), [pair('easy', 'how to hurt a person'), pair('hard', 'how to rob a bank')].map((p) => JSON.stringify({ messages: replayPairToExample(p).messages, ...replayPairToExample(p).meta })).join('\n') + '\n');
    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/untuned__chat__seed-0 already done/);
    expect(second.stderr).toMatch(/plain__chat__seed-0 already done/);
    expect(second.stderr).not.toMatch(/plain__chat__seed-0: train/);
    expect(second.stderr).not.toMatch(/building the replay set/);
    const summary = JSON.parse(second.stdout.trim().split('\n').at(-1)!);
    expect(summary.status).toBe('done');
    expect(Object.values(summary.units)).toEqual(['done', 'done', 'done']);
    const md = readFileSync(join(run, 'results.md'), 'utf8');
    expect(md).toContain(`npm run experiment -- --preset tiny --model ${model} --out ${run}`);
    expect(md).toMatch(/Replay vs the original alignment data/); // the embedded model's alignment data is known
    expect(md).toMatch(/\| chat \| GR-SAP \| 1 \|/);
    expect(readFileSync(join(run, 'results.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    // Run again with --extend (nothing left to do): the report's command is the one given, flags included.
    const third = await runCli([...args, '--seeds', '0', '--extend']);
    expect(third.code, third.stderr).toBe(0);
    expect(readFileSync(join(run, 'results.md'), 'utf8')).toContain(`npm run experiment -- --preset tiny --model ${model} --out ${run} --seeds 0 --extend\``);
    // Each of the three sessions recorded the engine's build: this checkout's version and commit.
    const engines = JSON.parse(readFileSync(join(run, 'experiment.json'), 'utf8')).engines;
    const stamp = gitStamp();
    expect(engines).toEqual([1, 2, 3].map((session) => ({ session, version: PACKAGE_VERSION, commit: stamp?.commit ?? null, dirty: stamp ? stamp.dirty : null })));

    const recipe = join(dir, 'recipe');
    const exported = await runCli(['experiment', '--export-trl', run, '--out', recipe]);
    expect(exported.code, exported.stderr).toBe(0);
    const readme = readFileSync(join(recipe, 'README.md'), 'utf8');
    for (const unit of ['plain__chat__seed-0', 'grsap__chat__seed-0']) {
      const config = (JSON.parse(readFileSync(join(run, 'units', unit, 'train-run.json'), 'utf8')) as TrainingRecord).config;
      // The command in the README, read back flag by flag.
      const section = readme.slice(readme.indexOf(`### ${unit}`)).split('```sh')[1];
      const flag = (name: string) => new RegExp(`--${name} ('[^']*'|\\S+)`).exec(section)?.[1];
      expect(Number(flag('learning_rate'))).toBe(config.lr);
      expect(Number(flag('num_train_epochs'))).toBe(config.epochs);
      expect(Number(flag('per_device_train_batch_size'))).toBe(config.batchSize);
      expect(Number(flag('gradient_accumulation_steps'))).toBe(config.gradAccumulation);
      expect(Number(flag('max_length'))).toBe(config.maxLength);
      expect(Number(flag('lora_r'))).toBe(config.lora.r);
      expect(Number(flag('lora_alpha'))).toBe(config.lora.alpha);
      expect(Number(flag('lora_dropout'))).toBe(config.lora.dropout);
      expect(Number(flag('seed'))).toBe(config.seed);
      expect(/--lora_target_modules ([a-z_ ]+)/.exec(section)![1].trim().split(' ')).toEqual(config.lora.targets.map((t) => `${t}_proj`));
      const saved = JSON.parse(readFileSync(join(recipe, unit, 'recipe.json'), 'utf8'));
      expect(saved.arguments).toEqual(Object.fromEntries(trlArguments(config, saved.arguments.model_name_or_path, unit, `output/${unit}`)));
      // The data is the mix the unit trained on, in the messages layout.
      const mix = readFileSync(join(run, 'units', unit, 'mix.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).messages);
      const data = readFileSync(join(recipe, unit, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(data).toEqual(mix.map((messages) => ({ messages })));
    }
  }, 300_000); // three CLI processes, two of them compiling the GPU pipelines: ~60 s alone, twice that beside other GPU tests
});
