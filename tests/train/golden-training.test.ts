// Training against PyTorch: three AdamW steps with clipping and the warm-up/cosine schedule on the
// golden batch reproduce torch.optim.AdamW's LoRA weights; accumulation matches one big batch; the
// step's last layer on the learned rows alone matches the whole forward and backward.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { destroyLoraAdapter } from '../../src/model/lora';
import type { DecoderModel } from '../../src/model/model';
import { importPeftAdapter, peftKey } from '../../src/model/peft';
import { LINEAR_NAMES } from '../../src/model/weights';
import { createGradients, destroyGradients, zeroGradients } from '../../src/train/grads';
import { AdamW } from '../../src/train/optimizer';
import { learningRate } from '../../src/train/schedule';
import { microBatchStep } from '../../src/train/step';
import { goldenBatch, goldenInputs, goldenPaddingFreeInputs, loadGoldenModel, openGoldenCase, relativeError, type GoldenBatch, type GoldenCase } from '../helpers/golden';
import { testGpu } from '../helpers/gpu';

describe.each(['llama-gqa-tied', 'qwen2-bias-untied'])('training parity: %s', (caseName) => {
  let gpu: Gpu;
  let c: GoldenCase;
  let model: DecoderModel;
  let batch: GoldenBatch;

  beforeAll(async () => {
    gpu = await testGpu();
    c = await openGoldenCase(caseName);
    model = await loadGoldenModel(gpu, c);
    batch = await goldenBatch(c);
  });
  afterAll(() => model?.destroy());

  const rows = (from: number, to: number) => goldenInputs(model, batch, from, to);

  it('three clipped AdamW steps under the schedule give PyTorch\'s LoRA weights', async () => {
    const tr = c.json.training;
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    const set = createGradients(gpu, model, { kind: 'lora' });
    const opt = new AdamW(gpu, set, { beta1: tr.betas[0], beta2: tr.betas[1], eps: tr.eps, weightDecay: tr.weight_decay, maxGradNorm: tr.max_grad_norm });
    const schedule = { peakLr: tr.lr, totalSteps: tr.total_steps, warmupRatio: tr.warmup_ratio, minLrRatio: tr.min_lr_rate };
    try {
      for (let s = 0; s < tr.total_steps; s++) {
        expect(learningRate(schedule, s)).toBeCloseTo(tr.lrs[s], 12);
        zeroGradients(gpu, set);
        const loss = gpu.zeros([2], 'f32', 'loss');
        const { inputs, learned } = rows(0, batch.B);
        microBatchStep(gpu, model, inputs, learned, set, batch.counted, loss, 0);
        opt.update(learningRate(schedule, s));
        expect((await loss.read())[0]).toBeCloseTo(tr.losses[s], 4);
        expect(await opt.lastGradNorm()).toBeCloseTo(tr.grad_norms_pre_clip[s], 4);
      }
      for (let i = 0; i < c.cfg.nLayers; i++) {
        for (const name of LINEAR_NAMES) {
          const pair = model.adapter!.layers[i][name]!;
          for (const [which, t] of [['A', pair.A], ['B', pair.B]] as const) {
            const err = relativeError(await t.read(), await c.golden.readFloat32(`trained.${peftKey(i, name, which)}`));
            expect(err, `${i}.${name}.${which}`).toBeLessThan(1e-3);
          }
        }
      }
    } finally {
      opt.destroy();
      destroyGradients(set);
      destroyLoraAdapter(model.adapter!);
      model.detach();
    }
  });

  it('one batch of 3 and 3 accumulated batches of 1 give the same loss and gradients', async () => {
    const set = createGradients(gpu, model, { kind: 'full', trainEmbeddings: true });
    const whole = gpu.zeros([2], 'f32', 'loss');
    const { inputs, learned } = rows(0, batch.B);
    microBatchStep(gpu, model, inputs, learned, set, batch.counted, whole, 0);
    const gradsWhole = await Promise.all(set.params.map((p) => p.grad.read()));
    zeroGradients(gpu, set);
    const parts = gpu.zeros([2], 'f32', 'loss');
    for (let b = 0; b < batch.B; b++) {
      const one = rows(b, b + 1);
      microBatchStep(gpu, model, one.inputs, one.learned, set, batch.counted, parts, 0);
    }
    const [lw] = await whole.read();
    const [lp] = await parts.read();
    expect(lp).toBeCloseTo(lw, 5);
    expect(lw).toBeCloseTo(c.json.loss_base, 4);
    for (const [i, p] of set.params.entries()) {
      const g = await p.grad.read();
      // All-zero gradients (none here) would make the relative error undefined.
      expect(relativeError(g, gradsWhole[i]), p.name).toBeLessThan(1e-5);
    }
    destroyGradients(set);
  });

  // The step runs the last layer's o, MLP and residuals, the final norm and lm_head on the learned
  // rows alone; the other rows' outputs would get zero gradients. With LoRA dropout on, each row's
  // masks must also be the ones the whole forward draws for it, in either batch layout.
  it.each(['padded', 'padding-free'] as const)('the last layer on the learned rows alone gives the whole forward\'s loss and gradients (LoRA dropout 0.2, %s)', async (layout) => {
    const config = { ...(c.adapterConfig as Record<string, unknown>), lora_dropout: 0.2 };
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, config, c.adapter) });
    const set = createGradients(gpu, model, { kind: 'lora' });
    try {
      const run = async (rowsOnly: boolean) => {
        zeroGradients(gpu, set);
        const loss = gpu.zeros([2], 'f32', 'loss');
        const { inputs, learned } = layout === 'padded' ? rows(0, batch.B) : goldenPaddingFreeInputs(model, batch);
        microBatchStep(gpu, model, inputs, learned, set, batch.counted, loss, 7, rowsOnly);
        return { loss: (await loss.read())[0], grads: await Promise.all(set.params.map((p) => p.grad.read())) };
      };
      const rowsOnly = await run(true);
      const every = await run(false);
      expect(rowsOnly.loss).toBeCloseTo(every.loss, 5);
      for (const [i, p] of set.params.entries()) {
        expect(every.grads[i].some((x) => x !== 0), `${p.name} has a gradient`).toBe(true);
        expect(relativeError(rowsOnly.grads[i], every.grads[i]), p.name).toBeLessThan(1e-5);
      }
    } finally {
      destroyGradients(set);
      destroyLoraAdapter(model.adapter!);
      model.detach();
    }
  });
});
