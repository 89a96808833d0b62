// `train` as a child process on the tiny fixture model: a LoRA run writes a PEFT adapter that loads
// and changes the logits; Ctrl-C saves a checkpoint and --resume finishes with exactly the adapter of
// the uninterrupted run; full fine-tuning writes a Hugging Face folder that loads again.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { loadModel, type LoadedModel } from '../../src/studio/load-model';
import { destroyLoraAdapter } from '../../src/model/lora';
import type { DecoderModel } from '../../src/model/model';
import { importPeftAdapter } from '../../src/model/peft';
import { openSafetensors } from '../../src/model/safetensors';
import { NodeFolderModelSource } from '../../src/storage/model-source';
import { testGpu } from '../helpers/gpu';
import { CHAT_DATA, jsonLines, removeTempFolders, runCli, startCli, tempFolder, TINY_MODEL } from './run-cli';

let gpu: Gpu;
let base: LoadedModel;
const dir = tempFolder({ 'data.jsonl': `${CHAT_DATA}\n` });
const data = join(dir, 'data.jsonl');
// 6 examples, batch 1, 2 epochs: 12 steps, enough for Ctrl-C to land mid-run. --max-length 48
// truncates the longer examples (the ChatML system turn alone is ~25 tokens here).
const LORA_FLAGS = ['--model', TINY_MODEL, '--data', data, '--batch-size', '1', '--epochs', '2', '--lr', '1e-2', '--lora-r', '4', '--lora-alpha', '8', '--max-length', '48', '--seed', '5'];
const loraOut = join(dir, 'lora');

beforeAll(async () => {
  gpu = await testGpu();
  base = await loadModel(gpu, new NodeFolderModelSource(TINY_MODEL));
});
afterAll(() => {
  base?.model.destroy();
  removeTempFolders();
});

/** Logits (T,V) of one token sequence. */
async function logitsOf(model: DecoderModel, ids: number[]): Promise<Float32Array> {
  const positions = ids.map((_, t) => t);
  return (await model.forward(model.uploadInputs(1, ids.length, ids, positions, null)).read()) as Float32Array;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('CLI train', () => {
  it('LoRA: writes a PEFT adapter that importPeftAdapter loads and that changes the logits; eval loss drops', async () => {
    const r = await runCli(['train', ...LORA_FLAGS, '--out', loraOut, '--eval', data, '--checkpoint-every', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/data: 6 examples, 6 encoded, 0 skipped; \d kept, [1-6] truncated to 48 tokens/);
    expect(r.stderr).toMatch(/step 12\/12 \(epoch 2\/2\)  loss \d+\.\d{4}  \|g\| \d+\.\d{3}  lr [\d.e+-]+  \d+ tok\/s  ETA 0:00/);
    expect(r.stderr.match(/checkpoint at step (\d+) saved/g)).toEqual(['checkpoint at step 5 saved', 'checkpoint at step 10 saved', 'checkpoint at step 12 saved']);
    for (const name of ['adapter_config.json', 'adapter_model.safetensors', 'checkpoint.safetensors', 'train-run.json']) expect(existsSync(join(loraOut, name)), name).toBe(true);

    const run = JSON.parse(readFileSync(join(loraOut, 'train-run.json'), 'utf8'));
    expect(run).toMatchObject({ status: 'done', steps: { done: 12, total: 12 }, config: { method: 'lora', lr: 0.01, maxLength: 48, lora: { r: 4, alpha: 8 } } });
    expect(run.evalLoss.after).toBeLessThan(run.evalLoss.before);

    const adapterConfig = JSON.parse(readFileSync(join(loraOut, 'adapter_config.json'), 'utf8'));
    expect(adapterConfig).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, base_model_name_or_path: TINY_MODEL });
    const reader = await openSafetensors(new Uint8Array(readFileSync(join(loraOut, 'adapter_model.safetensors'))));
    const ids = base.tokenizer.encode(base.template!.render([{ role: 'user', content: 'hello there' }], { addGenerationPrompt: true }), { addSpecialTokens: false });
    const before = await logitsOf(base.model, ids);
    base.model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, base.cfg, adapterConfig, reader) });
    try {
      const after = await logitsOf(base.model, ids);
      expect(maxAbsDiff(before, after)).toBeGreaterThan(1e-2);
    } finally {
      destroyLoraAdapter(base.model.adapter!);
      base.model.detach();
    }

    // `score --adapter` applies the adapter: the trained-on data scores better than without it.
    const scored = await runCli(['score', '--model', TINY_MODEL, '--adapter', loraOut, '--input', data]);
    expect(scored.code, scored.stderr).toBe(0);
    expect(jsonLines(scored.stdout)).toHaveLength(6);
    const plain = await runCli(['score', '--model', TINY_MODEL, '--input', data]);
    const meanLoss = (s: string) => Number(s.match(/mean loss ([\d.]+)/)![1]);
    expect(meanLoss(scored.stderr)).toBeLessThan(meanLoss(plain.stderr));
  }, 240_000); // two CLI processes of a few hundred steps: ~70 s alone, more beside the rest of the suite

  it('Ctrl-C stops after a step with a checkpoint; --resume ends with the uninterrupted run\'s adapter, bit for bit', async () => {
    const out = join(dir, 'interrupted');
    const first = startCli(['train', ...LORA_FLAGS, '--out', out]);
    await first.waitForStderr(/step 1\/12/);
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    const stoppedAt = Number(stopped.stderr.match(/interrupted at step (\d+)\/12/)![1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(12);
    expect(stopped.stderr).toContain(`--resume ${join(out, 'checkpoint.safetensors')}`);
    expect(JSON.parse(readFileSync(join(out, 'train-run.json'), 'utf8'))).toMatchObject({ status: 'paused', steps: { done: stoppedAt, total: 12 }, checkpointStep: stoppedAt });
    expect(existsSync(join(out, 'adapter_model.safetensors'))).toBe(false);

    const resumed = await runCli(['train', ...LORA_FLAGS, '--out', out, '--resume', join(out, 'checkpoint.safetensors')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resumed from ${join(out, 'checkpoint.safetensors')} at step ${stoppedAt}/12`);
    expect(resumed.stderr).not.toMatch(new RegExp(`step ${stoppedAt}/12 \\(`));
    const straight = readFileSync(join(loraOut, 'adapter_model.safetensors'));
    expect(readFileSync(join(out, 'adapter_model.safetensors')).equals(straight)).toBe(true);

    // Other settings cannot resume this checkpoint.
    const other = await runCli(['train', ...LORA_FLAGS, '--lr', '5e-3', '--out', out, '--resume', join(out, 'checkpoint.safetensors')]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/other training settings/);
  }, 240_000);

  it('full fine-tuning writes a Hugging Face model folder that loads, with the tokenizer files', async () => {
    const out = join(dir, 'full');
    const r = await runCli(['train', '--model', TINY_MODEL, '--data', data, '--out', out, '--method', 'full', '--lr', '1e-3', '--batch-size', '3']);
    expect(r.code, r.stderr).toBe(0);
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) expect(existsSync(join(out, name)), name).toBe(true);
    expect(readFileSync(join(out, 'tokenizer.json')).equals(readFileSync(join(TINY_MODEL, 'tokenizer.json')))).toBe(true);

    const tuned = await loadModel(gpu, new NodeFolderModelSource(out));
    try {
      expect(tuned.cfg).toEqual(base.cfg);
      expect(tuned.template).not.toBeNull();
      const ids = base.tokenizer.encode('the user asked the assistant');
      const diff = maxAbsDiff(await logitsOf(base.model, ids), await logitsOf(tuned.model, ids));
      expect(diff).toBeGreaterThan(1e-4);
      expect(diff).toBeLessThan(5);
    } finally {
      tuned.model.destroy();
    }
  });
});
