// What a preset's fine-tuning step costs on the embedded organism: the quick preset's LoRA settings
// on its chat task rows (the plain arm's data: the task's first 400 train examples; or the rows of
// a JSONL file, e.g. a GR-SAP unit's mix.jsonl, with --rows), through the same trainer as the
// experiment runner, in each batch layout (padded, padding-free) alternately. Prints one JSON
// document with ms per step, the tokens a step's batches hold and the examples' own tokens per
// second, and the CPU time; with --gpu-time also the GPU time of as many further steps, by GPU
// timestamps around every dispatch (steadier than wall time on a shared machine). Asserts
// nothing. Node, SwiftShader or whatever adapter Dawn finds.
//
//   node --import ./src/cli/register.mjs bench/preset-steps.ts [--preset quick] [--rows FILE] [--steps 8] [--reps 2] [--layouts padded,padding-free] [--gpu-time]

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { presetByName } from '../src/studio/experiment';
import { experimentWorld, taskExamples } from '../src/studio/experiment-data';
import { loadModel } from '../src/studio/load-model';
import { parseDataset } from '../src/text/datasets';
import { createTraining } from '../src/studio/training';
import type { BatchLayout } from '../src/train/trainer';
import { trainConfig } from '../src/studio/training-config';
import { DispatchProfiler } from './dispatch-profiler';
import { timeTrainerSteps } from './timing';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    rows: { type: 'string' },
    steps: { type: 'string', default: '8' },
    reps: { type: 'string', default: '2' },
    layouts: { type: 'string', default: 'padded,padding-free' },
    'gpu-time': { type: 'boolean', default: false },
    model: { type: 'string', default: 'public/models/grsap-organism' },
  },
});
const steps = Number(values.steps);
const reps = Number(values.reps);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(reps) && reps > 0)) throw new Error('--steps and --reps must be positive integers.');
const preset = presetByName(values.preset!);
const task = preset.tasks[0];
const rows = values.rows ? parseDataset(readFileSync(values.rows, 'utf8'), values.rows) : taskExamples(experimentWorld(0), task, preset.taskExamples);
const layouts = values.layouts!.split(',') as BatchLayout[];
for (const l of layouts) if (l !== 'padded' && l !== 'padding-free') throw new Error(`--layouts: unknown layout ${l}; use padded and/or padding-free.`);

const gpu = await Gpu.create();
const records = [];
for (let rep = 0; rep < reps; rep++) {
  for (const layout of layouts) {
    const loaded = await loadModel(gpu, new NodeFolderModelSource(values.model!));
    const setup = createTraining(gpu, loaded, rows, trainConfig(preset.train), { layout });
    const t = await timeTrainerSteps(setup.trainer, steps);
    const perSec = (tokens: number) => Math.round((tokens * steps) / (t.wallMs / 1000));
    let gpuMsPerStep: number | undefined;
    if (values['gpu-time']) {
      const profiler = new DispatchProfiler(gpu);
      await gpu.sync();
      profiler.start();
      await setup.trainer.run({ untilStep: 1 + 2 * steps });
      const { samples } = await profiler.stop();
      profiler.destroy();
      gpuMsPerStep = Math.round(samples.reduce((sum, x) => sum + x.ms, 0) / steps);
    }
    records.push({ rep, layout, msPerStep: t.msPerStep, cpuMsPerStep: t.cpuMsPerStep, batchTokensPerStep: t.paddedTokensPerStep, exampleTokensPerStep: t.exampleTokensPerStep, exampleTokensPerSec: perSec(t.exampleTokensPerStep), ...(gpuMsPerStep !== undefined ? { gpuMsPerStep } : {}) });
    process.stderr.write(`${JSON.stringify(records.at(-1))}\n`);
    setup.trainer.destroy();
    loaded.model.destroy();
  }
}
process.stdout.write(`${JSON.stringify({ bench: 'preset-steps', preset: preset.name, rows: values.rows ?? `${task} task, first ${preset.taskExamples} train examples`, adapter: gpu.info.adapter, steps, records }, null, 2)}\n`);
gpu.destroy();
process.exit(0);
