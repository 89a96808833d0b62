// PyTorch parity: logits, loss and every gradient of the TS engine against golden files written
// by scripts/golden/make_golden.py from a reference built on PyTorch primitives.
// Tolerances (relative to each tensor's largest magnitude): logits 1e-4, gradients 1e-3.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import type { DecoderModel } from '../../src/model/model';
import { destroyLoraAdapter } from '../../src/model/lora';
import { importPeftAdapter, peftKey } from '../../src/model/peft';
import { LINEAR_NAMES, linearModule } from '../../src/model/weights';
import { createGradients, destroyGradients, type TrainMode } from '../../src/train/grads';
import { microBatchStep } from '../../src/train/step';
import { goldenBatch, goldenInputs, goldenPaddingFreeInputs, GOLDEN_CASES, loadGoldenModel, openGoldenCase, realLogit, relativeError, type GoldenBatch, type GoldenCase } from '../helpers/golden';
import { testGpu } from '../helpers/gpu';

const LOGITS_TOL = 1e-4;
const GRAD_TOL = 1e-3;

describe.each(GOLDEN_CASES)('PyTorch parity: %s', (caseName) => {
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

  const inputs = () => goldenInputs(model, batch).inputs;

  async function logitsError(reference: string): Promise<number> {
    const logits = await model.forward(inputs()).read();
    const V = c.cfg.vocabSize;
    return relativeError(logits, await c.golden.readFloat32(reference), realLogit(batch, V));
  }

  it('base logits of a right-padded batch', async () => {
    expect(await logitsError('logits')).toBeLessThan(LOGITS_TOL);
  });

  it('logits with the PEFT adapter applied', async () => {
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    try {
      expect(await logitsError('logits_lora')).toBeLessThan(LOGITS_TOL);
    } finally {
      destroyLoraAdapter(model.adapter!);
      model.detach();
    }
  });

  async function lossAndGrads(mode: TrainMode, layout: 'padded' | 'padding-free' = 'padded') {
    const set = createGradients(gpu, model, mode);
    const loss = gpu.zeros([2], 'f32', 'loss');
    const { inputs, learned } = layout === 'padded' ? goldenInputs(model, batch) : goldenPaddingFreeInputs(model, batch);
    microBatchStep(gpu, model, inputs, learned, set, batch.counted, loss, 0);
    const [value, counted] = await loss.read();
    return { set, value, counted };
  }

  it.each(['padded', 'padding-free'] as const)('masked loss and every LoRA gradient (%s batch)', async (layout) => {
    expect(new Set(batch.lengths).size, 'the golden batch has rows of different lengths').toBeGreaterThan(1);
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    try {
      const { set, value, counted } = await lossAndGrads({ kind: 'lora' }, layout);
      expect(counted).toBe(c.json.loss_target_tokens);
      expect(Math.abs(value - c.json.loss_lora)).toBeLessThan(1e-4 * c.json.loss_lora);
      const byName = new Map(set.params.map((p) => [p.name, p]));
      let checked = 0;
      for (let i = 0; i < c.cfg.nLayers; i++) {
        for (const name of LINEAR_NAMES) {
          for (const which of ['A', 'B'] as const) {
            const grad = await byName.get(`${i}.${name}.${which}`)!.grad.read();
            const err = relativeError(grad, await c.golden.readFloat32(`grad.${peftKey(i, name, which)}`));
            expect(err, `${i}.${name}.${which}`).toBeLessThan(GRAD_TOL);
            checked++;
          }
        }
      }
      expect(checked).toBe(c.cfg.nLayers * 14);
      destroyGradients(set);
    } finally {
      destroyLoraAdapter(model.adapter!);
      model.detach();
    }
  });

  it.each(['padded', 'padding-free'] as const)('full fine-tuning gradients of embeddings, norms and weights (%s batch)', async (layout) => {
    const { set, value } = await lossAndGrads({ kind: 'full', trainEmbeddings: true }, layout);
    expect(Math.abs(value - c.json.loss_base)).toBeLessThan(1e-4 * c.json.loss_base);
    const names = c.golden.names.filter((n) => n.startsWith('full_grad.')).map((n) => n.slice('full_grad.'.length));
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain(`${linearModule(0, 'q')}.weight`);
    const byName = new Map(set.params.map((p) => [p.name, p]));
    for (const name of names) {
      const param = byName.get(name);
      expect(param, name).toBeDefined();
      const err = relativeError(await param!.grad.read(), await c.golden.readFloat32(`full_grad.${name}`));
      expect(err, name).toBeLessThan(GRAD_TOL);
    }
    destroyGradients(set);
  });
});
