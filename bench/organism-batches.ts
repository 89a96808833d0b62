// How a step's rows are batched, and what it costs: the embedded organism's stage-1 full fine-tuning
// step (random rows of the world's stage-1 data, max length 256) with one batch of 32, and with the
// same 32 rows sorted by length into micro-batches of 16 or 8 (TrainConfig.sortWithinStep: the same
// rows and gradient, less padding), and one padding-free batch of 32 (no padding at all). Prints
// one JSON document; asserts nothing. Node, SwiftShader or whatever adapter Dawn finds; the
// weights are the committed organism's (their values do not change the speed).
//
//   node --import ./src/cli/register.mjs bench/organism-batches.ts [--steps 6] [--reps 2]

import { parseArgs } from 'node:util';
import { Gpu } from '../src/gpu/gpu';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { loadModel } from '../src/studio/load-model';
import { ORGANISM_RECIPE } from '../src/studio/organism';
import { createTraining } from '../src/studio/training';
import { trainConfig } from '../src/studio/training-config';
import { generateWorldData } from '../src/world';
import { timeTrainerSteps } from './timing';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '6' }, reps: { type: 'string', default: '2' }, model: { type: 'string', default: 'public/models/grsap-organism' } } });
const steps = Number(values.steps);
const reps = Number(values.reps);
if (!(Number.isInteger(steps) && steps > 0 && Number.isInteger(reps) && reps > 0)) throw new Error('--steps and --reps must be positive integers.');

const PLANS = [
  { batchSize: 32, gradAccumulation: 1, sortWithinStep: false, layout: 'padded' },
  { batchSize: 16, gradAccumulation: 2, sortWithinStep: true, layout: 'padded' },
  { batchSize: 8, gradAccumulation: 4, sortWithinStep: true, layout: 'padded' },
  { batchSize: 32, gradAccumulation: 1, sortWithinStep: false, layout: 'padding-free' },
] as const;

const gpu = await Gpu.create();
const recipe = ORGANISM_RECIPE; // the shipped organism's
const data = generateWorldData({ seed: recipe.worldSeed, stage1Count: 4000, stage2Count: 10 });
const records = [];
for (let rep = 0; rep < reps; rep++) {
  for (const plan of PLANS) {
    const loaded = await loadModel(gpu, new NodeFolderModelSource(values.model!));
    const { layout, ...batching } = plan;
    const setup = createTraining(gpu, loaded, data.stage1, trainConfig({ method: 'full' }, recipe.stage1.train, batching), { lossOn: 'all', layout });
    const t = await timeTrainerSteps(setup.trainer, steps);
    records.push({ rep, ...plan, msPerStep: t.msPerStep, cpuMsPerStep: t.cpuMsPerStep, paddedTokensPerStep: t.paddedTokensPerStep, msPerThousandPaddedTokens: Math.round((t.wallMs / steps / t.paddedTokensPerStep) * 1000) });
    process.stderr.write(`${JSON.stringify(records.at(-1))}\n`);
    setup.trainer.destroy();
    loaded.model.destroy();
  }
}
process.stdout.write(`${JSON.stringify({ bench: 'organism-batches', adapter: gpu.info.adapter, steps, records }, null, 2)}\n`);
process.exit(0);
