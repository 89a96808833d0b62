// What a training process's first step costs beside the next ones: the quick preset's LoRA training
// on its chat rows, timing model load, trainer setup, step 1 (which compiles the pipelines), steps
// 2–4 and 5–10 (wall and process CPU), every pipeline's creation time, and the adapter's SHA-256
// after the 10 steps (equal across engine versions that compute the same weights). Prints lines;
// asserts nothing. Node, SwiftShader or whatever adapter Dawn finds.
//
//   node --import ./src/cli/register.mjs bench/first-step.ts

import { createHash } from 'node:crypto';
import { Gpu } from '../src/gpu/gpu';
import { exportPeftAdapter } from '../src/model/peft';
import { NodeFolderModelSource } from '../src/storage/model-source';
import { presetByName } from '../src/studio/experiment';
import { experimentWorld, taskExamples } from '../src/studio/experiment-data';
import { loadModel } from '../src/studio/load-model';
import { createTraining } from '../src/studio/training';
import { trainConfig } from '../src/studio/training-config';
const preset = presetByName('quick');
const rows = taskExamples(experimentWorld(0), 'chat', preset.taskExamples);
const gpu = await Gpu.create();
const dev = (gpu as unknown as { device: GPUDevice }).device;
const orig = dev.createComputePipeline.bind(dev);
const times: [string, number][] = [];
dev.createComputePipeline = (d: GPUComputePipelineDescriptor) => { const t0 = performance.now(); const p = orig(d); times.push([`${d.compute.entryPoint} ${JSON.stringify(d.compute.constants ?? {})}`, Math.round(performance.now() - t0)]); return p; };
const cpu = () => { const u = process.cpuUsage(); return Math.round((u.user + u.system) / 1000); };
let t = performance.now(); let c = cpu();
const lap = (what: string) => { const now = performance.now(), cc = cpu(); console.log(what, Math.round(now - t), 'ms wall', cc - c, 'ms cpu'); t = now; c = cc; };
const loaded = await loadModel(gpu, new NodeFolderModelSource('public/models/grsap-organism'));
lap('load');
const setup = createTraining(gpu, loaded, rows, trainConfig(preset.train));
lap('createTraining');
await setup.trainer.run({ untilStep: 1 });
lap('step 1');
await setup.trainer.run({ untilStep: 4 });
lap('steps 2-4');
await setup.trainer.run({ untilStep: 10 });
lap('steps 5-10');
const adapter = (loaded.model.attachment as { adapter: Parameters<typeof exportPeftAdapter>[0] }).adapter;
const { weights } = await exportPeftAdapter(adapter, 'x');
console.log('sha256 after 10 steps', createHash('sha256').update(weights).digest('hex'));
times.sort((a, b) => b[1] - a[1]);
console.log(times.length, 'pipelines', times.reduce((a, b) => a + b[1], 0), 'ms');
for (const [k, v] of times.slice(0, 40)) console.log(v, k);
gpu.destroy();
process.exit(0);
