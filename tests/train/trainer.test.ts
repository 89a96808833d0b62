// The training loop: loss goes down on a learnable task, and a checkpoint saved mid-run and
// resumed gives exactly the weights of an uninterrupted run.

import { describe, expect, it } from 'vitest';
import type { DecoderModel } from '../../src/model/model';
import type { TrainConfig } from '../../src/train/config';
import type { TokenizedExample } from '../../src/text/encode-dataset';
import { configDifferences, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint';
import { TRAIN_CONFIG_BEFORE_FIELD, trainConfig } from '../../src/train/config';
import { defaultBatchLayout, destroyAdaptation, freshAdaptation, Trainer, type BatchLayout } from '../../src/train/trainer';
import { Rng } from '../../src/util/rng';
import { loadGoldenModel, openGoldenCase } from '../helpers/golden';
import { testGpu } from '../helpers/gpu';
import type { Gpu } from '../../src/gpu/gpu';

/** "Copy task": a random prompt, then the assistant repeats it. Learnable, tiny. */
function copyExamples(n: number, vocab: number, seed: number): TokenizedExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 2 + rng.int(4);
    const prompt = Array.from({ length: len }, () => 3 + rng.int(vocab - 3));
    const ids = [1, ...prompt, 2, ...prompt];
    return { ids, lossMask: ids.map((_, i) => (i > len + 1 ? 1 : 0)) };
  });
}

function trainer(gpu: Gpu, model: DecoderModel, data: TokenizedExample[], config: TrainConfig, layout?: BatchLayout): Trainer {
  return new Trainer(gpu, model, data, config, 0, freshAdaptation(gpu, model, config), layout);
}

function release(t: Trainer, model: DecoderModel): void {
  t.destroy();
  destroyAdaptation(model, t.adaptation);
  model.destroy();
}

async function trainedWeights(trainer: Trainer): Promise<Float32Array[]> {
  return Promise.all(trainer.gradients.params.map((p) => p.param.read() as Promise<Float32Array>));
}

describe('trainer', () => {
  const config = trainConfig({ batchSize: 4, gradAccumulation: 2, lr: 3e-3, epochs: 2, lora: { r: 4, alpha: 8, dropout: 0.1 }, seed: 3 });

  it('lowers the loss with LoRA on a learnable task', async () => {
    const gpu = await testGpu();
    const c = await openGoldenCase('llama-gqa-tied');
    const model = await loadGoldenModel(gpu, c);
    const t = trainer(gpu, model, copyExamples(24, c.cfg.vocabSize, 1), trainConfig(config, { epochs: 4, lr: 1e-2 }));
    const history = await t.run();
    expect(history).toHaveLength(t.totalSteps);
    const first = history.slice(0, 3).reduce((s, h) => s + h.loss!, 0) / 3;
    const last = history.slice(-3).reduce((s, h) => s + h.loss!, 0) / 3;
    expect(last).toBeLessThan(first * 0.9);
    release(t, model);
  });

  it('resumes from a mid-run checkpoint bit for bit', async () => {
    const gpu = await testGpu();
    const c = await openGoldenCase('llama-gqa-tied');
    const data = copyExamples(20, c.cfg.vocabSize, 2);

    const modelA = await loadGoldenModel(gpu, c);
    const straight = trainer(gpu, modelA, data, config);
    await straight.run();
    const expected = await trainedWeights(straight);

    const modelB = await loadGoldenModel(gpu, c);
    const first = trainer(gpu, modelB, data, config);
    const half = Math.floor(first.totalSteps / 2);
    await first.run({ untilStep: half });
    const checkpoint = await saveCheckpoint(first);
    release(first, modelB);

    const modelC = await loadGoldenModel(gpu, c);
    const resumed = trainer(gpu, modelC, data, config);
    await loadCheckpoint(resumed, checkpoint);
    expect(resumed.stepsDone).toBe(half);
    await resumed.run();
    const got = await trainedWeights(resumed);
    expect(got.length).toBe(expected.length);
    got.forEach((g, i) => expect(Buffer.from(g.buffer).equals(Buffer.from(expected[i].buffer)), resumed.gradients.params[i].name).toBe(true));

    await expect(loadCheckpoint(trainer(gpu, modelC, data, trainConfig(config, { lr: 1e-3 })), checkpoint)).rejects.toThrow(/other training settings \(lr 0\.003 → 0\.001\)/);
    release(straight, modelA);
    release(resumed, modelC);
  });

  it('sorts a step\'s rows by length across its micro-batches: the same losses and weights, less padding', async () => {
    const gpu = await testGpu();
    const c = await openGoldenCase('llama-gqa-tied');
    const data = copyExamples(16, c.cfg.vocabSize, 5);
    const base = trainConfig(config, { batchSize: 2, gradAccumulation: 4, lora: { r: 4, alpha: 8, dropout: 0 } });
    const runs = [];
    for (const sortWithinStep of [false, true]) {
      const model = await loadGoldenModel(gpu, c);
      const t = trainer(gpu, model, data, trainConfig(base, { sortWithinStep }), 'padded');
      const history = await t.run();
      runs.push({ losses: history.map((h) => h.loss!), weights: await trainedWeights(t), tokens: history.at(-1)!.tokens });
      release(t, model);
    }
    const [drawn, sorted] = runs;
    sorted.losses.forEach((l, i) => expect(l).toBeCloseTo(drawn.losses[i], 5));
    sorted.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - drawn.weights[i][j])).toBeLessThan(1e-5)));
    expect(sorted.tokens).toBeLessThan(drawn.tokens);
  });

  it('trains padding-free batches like padded ones: the same losses, LoRA dropout masks and weights up to rounding, on fewer tokens', async () => {
    const gpu = await testGpu();
    const c = await openGoldenCase('llama-gqa-tied');
    expect(defaultBatchLayout(c.cfg)).toBe('padding-free');
    const data = copyExamples(16, c.cfg.vocabSize, 7);
    const withDropout = trainConfig(config, { batchSize: 8, gradAccumulation: 1, epochs: 1, lora: { r: 4, alpha: 8, dropout: 0.2 } });
    const run = async (layout: BatchLayout) => {
      const model = await loadGoldenModel(gpu, c);
      const t = trainer(gpu, model, data, withDropout, layout);
      const history = await t.run();
      const result = { losses: history.map((h) => h.loss!), weights: await trainedWeights(t), tokens: history.at(-1)!.tokens };
      release(t, model);
      return result;
    };
    const padded = await run('padded');
    const free = await run('padding-free');
    const gap = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(b[i])));
    expect(gap(free.losses, padded.losses)).toBeLessThan(1e-5);
    free.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - padded.weights[i][j])).toBeLessThan(1e-5)));
    expect(free.tokens).toBeLessThan(padded.tokens);
    // Masks drawn for the padding-free layout itself (each token's own row) instead of the padded
    // one put the losses 5.9e-4 apart here: the tolerance above tells the two apart.
  });

  it('draws new LoRA dropout masks for each micro-batch of a step', async () => {
    // One example twice, as two accumulated micro-batches of one row, against the example alone:
    // with the masks of the first micro-batch repeated in the second, both runs would train
    // alike (the same gradient, normalised by twice the tokens), and their losses would agree.
    const gpu = await testGpu();
    const c = await openGoldenCase('llama-gqa-tied');
    const [example] = copyExamples(1, c.cfg.vocabSize, 5);
    const losses = async (data: TokenizedExample[], gradAccumulation: number) => {
      const model = await loadGoldenModel(gpu, c);
      const t = trainer(gpu, model, data, trainConfig(config, { batchSize: 1, gradAccumulation, epochs: 2, lr: 1e-2, warmupRatio: 0, lora: { r: 4, alpha: 8, dropout: 0.5 } }), 'padded');
      const history = await t.run();
      release(t, model);
      return history.map((h) => h.loss!);
    };
    const alone = await losses([example], 1);
    const twice = await losses([example, example], 2);
    expect(alone).toHaveLength(2);
    expect(twice).toHaveLength(2);
    // Step 1 starts from B = 0: the adapter adds nothing yet, whatever the masks.
    expect(twice[0]).toBeCloseTo(alone[0], 5);
    expect(Math.abs(twice[1] - alone[1])).toBeGreaterThan(1e-4 * alone[1]); // repeated masks: exactly 0 here; drawn anew: 4e-4 of the loss
  });

  it('names the settings a checkpoint differs in; a field added since it was saved takes its earlier meaning', () => {
    const saved = { ...config, lr: 1e-3, optimizer: { ...config.optimizer, beta2: 0.95 } } as Partial<TrainConfig>;
    delete saved.sortWithinStep;
    expect(configDifferences({ ...TRAIN_CONFIG_BEFORE_FIELD, ...saved }, config)).toEqual(['lr 0.001 → 0.003', 'optimizer.beta2 0.95 → 0.999']);
    delete saved.groupByLength;
    expect(configDifferences({ ...TRAIN_CONFIG_BEFORE_FIELD, ...saved }, config)).toContain('groupByLength true → false'); // the old runs grouped by length
    expect(configDifferences({ b: 1, a: [1, 2] }, { a: [1, 2], b: 1 })).toEqual([]);
  });

  it('refuses unknown options by name', () => {
    expect(() => trainConfig({ learningRate: 1 } as never)).toThrow(/Unknown training option: learningRate/);
    expect(() => trainConfig({ lora: { rank: 4 } } as never)).toThrow(/Unknown LoRA option: rank/);
  });
});
