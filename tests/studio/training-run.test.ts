// Training runs on one loaded model, as the pipeline runs them (untuned → plain → GR-SAP): each run
// trains its own adaptation from the base, the untuned model stays available once detached (LoRA
// and full fine-tuning), a stopped run ends 'paused' with a checkpoint it resumes from bit for bit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { DecoderModel } from '../../src/model/model';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { createTraining } from '../../src/studio/training';
import { destroyAdaptation, trainConfig, type Adaptation, type TrainConfig } from '../../src/studio/training-config';
import { runTraining, type TrainingRecord } from '../../src/studio/training-run';
import type { ChatExample } from '../../src/text/datasets';
import { testGpu } from '../helpers/gpu';
import { TINY_MODEL } from '../cli/run-cli';

let gpu: Gpu;
let loaded: LoadedModel;
beforeAll(async () => {
  gpu = await testGpu();
  loaded = await loadModel(gpu, new NodeFolderModelSource(TINY_MODEL));
});
afterAll(() => loaded?.model.destroy());

const DATA: ChatExample[] = ['hello there', 'say hello', 'what is the weather', 'who asked', 'answer me', 'how are you'].map((q, i) => ({
  messages: [
    { role: 'user', content: q },
    { role: 'assistant', content: `answer number ${i} to ${q}` },
  ],
}));

async function logits(model: DecoderModel): Promise<Float32Array> {
  const ids = [5, 17, 42, 9, 100, 3];
  const inputs = model.uploadInputs(1, ids.length, ids, ids.map((_, t) => t), null);
  return (await model.forward(inputs).read()) as Float32Array;
}

async function train(config: TrainConfig, options: Parameters<typeof runTraining>[2] = {}) {
  const setup = createTraining(gpu, loaded, DATA, config);
  const losses: number[] = [];
  const outcome = await runTraining(loaded, setup, { ...options, onProgress: (p) => p.payload?.loss != null && losses.push(p.payload.loss) });
  return { setup, outcome, losses };
}

const bitsEqual = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

describe('training runs on one loaded model', () => {
  for (const method of ['lora', 'full'] as const) {
    it(`${method}: each run starts from the base; detaching gives back the untuned logits bit for bit`, async () => {
      const config = trainConfig({ method, batchSize: 2, lr: method === 'lora' ? 2e-2 : 3e-3, lora: { r: 4, alpha: 8, dropout: 0 }, seed: 1 });
      const untuned = await logits(loaded.model);

      const first = await train(config);
      expect(first.outcome.status).toBe('done');
      const tuned = await logits(loaded.model);
      expect(bitsEqual(tuned, untuned)).toBe(false);

      // A second run with the same settings starts from the base, not from the first run's weights:
      // it sees the same first loss and ends with the same weights.
      const second = await train(config);
      expect(second.losses[0]).toBe(first.losses[0]);
      expect(bitsEqual(await logits(loaded.model), tuned)).toBe(true);

      loaded.model.detach();
      expect(bitsEqual(await logits(loaded.model), untuned)).toBe(true);
      // Attaching by handle switches between the runs without retraining.
      loaded.model.attach(first.setup.adaptation);
      expect(bitsEqual(await logits(loaded.model), tuned)).toBe(true);
      for (const run of [first, second]) {
        run.setup.trainer.destroy();
        destroyAdaptation(loaded.model, run.setup.adaptation);
      }
      expect(loaded.model.attachment).toBeNull();
      expect(bitsEqual(await logits(loaded.model), untuned)).toBe(true);
    });
  }

  it('a stopped run ends paused with a checkpoint; resuming it ends with the uninterrupted weights', async () => {
    const config = trainConfig({ batchSize: 1, epochs: 2, lr: 1e-2, lora: { r: 4, alpha: 8, dropout: 0.1 }, seed: 4 });
    const straight = await train(config, { checkpointEvery: 5 });
    const expected = await logits(loaded.model);

    const controller = new AbortController();
    let checkpoint: Uint8Array | null = null;
    let record: TrainingRecord | null = null;
    const stopped = createTraining(gpu, loaded, DATA, config);
    const outcome = await runTraining(loaded, stopped, {
      signal: controller.signal,
      checkpointEvery: 5,
      onProgress: (p) => p.phase === 'train' && p.done === 7 && controller.abort(),
      onCheckpoint: async (bytes) => void (checkpoint = bytes),
      onRecord: async (r) => void (record = r),
    });
    expect(outcome.status).toBe('paused');
    expect(outcome.record).toMatchObject({ status: 'paused', steps: { done: 7, total: 12 }, checkpointStep: 7 });
    expect(record!.status).toBe('paused');
    expect(outcome.record.losses.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const resumed = createTraining(gpu, loaded, DATA, config);
    const end = await runTraining(loaded, resumed, { resumeFrom: { bytes: checkpoint!, name: 'checkpoint' }, record: outcome.record });
    expect(end.status).toBe('done');
    expect(end.record.losses.map(([s]) => s)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(bitsEqual(await logits(loaded.model), expected)).toBe(true);

    // The checkpoint names what it was made from: other data is refused.
    const other = createTraining(gpu, loaded, DATA.slice().reverse(), config);
    await expect(runTraining(loaded, other, { resumeFrom: { bytes: checkpoint!, name: 'checkpoint' } })).rejects.toThrow(/made with another data/);
    for (const s of [straight.setup, stopped, resumed, other]) {
      s.trainer.destroy();
      destroyAdaptation(loaded.model, s.adaptation as Adaptation);
    }
  });
});
