// What a preset's fine-tuning step costs on the embedded organism: the quick preset's LoRA settings
// on its chat task rows (the plain arm's data: the task's first 400 train examples), through the
// same trainer as the experiment runner. Prints one JSON document with ms per step, trained
// (non-padding) tokens per second and the CPU time; asserts nothing. Node, SwiftShader or whatever
// adapter Dawn finds.
//
//   node --import ./src/cli/register.mjs bench/preset-steps.ts [--preset quick] [--steps 8] [--reps 2]

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { presetByName } from '../src/studio/experiment';
import { experimentWorld, taskExamples } from '../src/studio/experiment-data';
import { loadModel } from '../src/studio/load-model';
import { createTraining } from '../src/studio/training';
import { trainConfig } from '../src/studio/training-config';
import { timeTrainerSteps } from './timing';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'quick' }, steps: { type: 'string', default: '8' }, reps: { type: 'string', default: '2' }, model: { type: 'string', default: 'public/models/grsap-organism' } } });
const steps = Number(values.steps);
const reps = Number(values.reps);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(reps) && reps > 0)) throw new Error('--steps and --reps must be positive integers.');
const preset = presetByName(values.preset!);
const task = preset.tasks[0];
const rows = taskExamples(experimentWorld(0), task, preset.taskExamples);

const gpu = await Gpu.create();
const records = [];
for (let rep = 0; rep < reps; rep++) {
  const loaded = await loadModel(gpu, new NodeFolderModelSource(values.model!));
  const setup = createTraining(gpu, loaded, rows, trainConfig(preset.train));
  const t = await timeTrainerSteps(setup.trainer, steps);
  records.push({ rep, msPerStep: t.msPerStep, cpuMsPerStep: t.cpuMsPerStep, paddedTokensPerStep: t.paddedTokensPerStep, paddedTokensPerSec: Math.round((t.paddedTokensPerStep * steps) / (t.wallMs / 1000)) });
  process.stderr.write(`${JSON.stringify(records.at(-1))}\n`);
  setup.trainer.destroy();
  loaded.model.destroy();
}
process.stdout.write(`${JSON.stringify({ bench: 'preset-steps', preset: preset.name, task, adapter: gpu.info.adapter, steps, records }, null, 2)}\n`);
gpu.destroy();
process.exit(0);
