// PEFT and HF interop: adapter export round trip, merge equivalence, HF re-export, scoring.

import { describe, expect, it } from 'vitest';
import { exportHfModel, mergeAdapter } from '../../src/model/export';
import { DecoderModel } from '../../src/model/model';
import { exportPeftAdapter, importPeftAdapter, parsePeftConfig, peftKey } from '../../src/model/peft';
import { openSafetensors } from '../../src/model/safetensors';
import { meanLoss, scoreExamples } from '../../src/model/score';
import { loadDecoderWeights } from '../../src/model/weights';
import { goldenBatch, goldenInputs, loadGoldenModel, openGoldenCase, realLogit, relativeError } from '../helpers/golden';
import { testGpu } from '../helpers/gpu';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const CASE = 'qwen2-bias-untied';

async function setup() {
  const gpu = await testGpu();
  const c = await openGoldenCase(CASE);
  const model = await loadGoldenModel(gpu, c);
  const batch = await goldenBatch(c);
  const logitsOf = async (m: DecoderModel) => m.forward(goldenInputs(m, batch).inputs).read();
  const realRow = realLogit(batch, c.cfg.vocabSize);
  return { gpu, c, model, batch, logitsOf, realRow };
}

describe('PEFT and Hugging Face interop', () => {
  it('exports an imported adapter with the same keys, shapes and values (PEFT layout)', async () => {
    const { gpu, c, model } = await setup();
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    const out = await exportPeftAdapter(model.adapter!, 'tiny-base');
    const config = JSON.parse(out.config);
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] });
    expect(parsePeftConfig(config)).toMatchObject({ r: 4, alpha: 8 });
    const file = await openSafetensors(out.weights);
    expect([...file.names].sort()).toEqual([...c.adapter.names].sort());
    for (const key of [peftKey(0, 'q', 'A'), peftKey(1, 'down', 'B')]) {
      expect(file.info(key).shape).toEqual(c.adapter.info(key).shape);
      expect(Array.from(await file.readFloat32(key))).toEqual(Array.from(await c.adapter.readFloat32(key)));
    }
    model.destroy();
  });

  it('merging W + (alpha/r)·B·A reproduces the adapter\'s logits without it', async () => {
    const { gpu, c, model, logitsOf, realRow } = await setup();
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    mergeAdapter(model);
    expect(model.adapter).toBeNull();
    expect(relativeError(await logitsOf(model), await c.golden.readFloat32('logits_lora'), realRow)).toBeLessThan(1e-4);
    model.destroy();
  });

  it('a model saved in HF layout loads back with identical logits', async () => {
    const { gpu, c, model, logitsOf } = await setup();
    const rawConfig = JSON.parse(readFileSync(join(c.dir, 'config.json'), 'utf8'));
    const files = await exportHfModel(model.cfg, model.weights, rawConfig, 'F32');
    expect(JSON.parse(files['config.json']).torch_dtype).toBe('float32');
    const reader = await openSafetensors(files['model.safetensors']);
    const again = new DecoderModel(gpu, c.cfg, await loadDecoderWeights(gpu, c.cfg, reader));
    expect(Array.from(await logitsOf(again))).toEqual(Array.from(await logitsOf(model)));
    const bf16 = await exportHfModel(model.cfg, model.weights, rawConfig, 'BF16');
    expect(bf16['model.safetensors'].byteLength).toBeLessThan(files['model.safetensors'].byteLength * 0.55);
    again.destroy();
    model.destroy();
  });

  it('scores completions: mean loss over the golden batch equals PyTorch\'s', async () => {
    const { c, model, batch } = await setup();
    const examples = batch.lengths.map((len, b) => {
      const ids = Array.from(batch.ids.subarray(b * batch.T, b * batch.T + len));
      const lossMask = ids.map((_, t) => (t > 0 && batch.targets[b * batch.T + t - 1] !== 0xffffffff ? 1 : 0));
      return { ids, lossMask };
    });
    const scores = await scoreExamples(model, examples, { batchSize: 2, padId: 0 });
    expect(scores.reduce((s, x) => s + x.tokens, 0)).toBe(c.json.loss_target_tokens);
    expect(meanLoss(scores)).toBeCloseTo(c.json.loss_base, 4);
    model.destroy();
  });
});
