// `train` under faults a user meets: a diverging run, SIGTERM, a run that never saved a checkpoint,
// resuming on other data or another model, a dataset of one batch, bad --config values, and a
// tokenizer larger than the model's vocabulary. Nothing the user made may be lost or overwritten
// with non-finite weights, and the same command must always be rerunnable.

import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../src/model/safetensors';
import { CHAT_DATA, removeTempFolders, runCli, startCli, tempFolder, TINY_MODEL } from './run-cli';

const dir = tempFolder({ 'data.jsonl': `${CHAT_DATA}\n` });
const data = join(dir, 'data.jsonl');
afterAll(() => removeTempFolders());

const manifest = (out: string) => JSON.parse(readFileSync(join(out, 'train-run.json'), 'utf8'));
const LORA = ['--model', TINY_MODEL, '--batch-size', '1', '--lora-r', '4', '--max-length', '48'];

describe('CLI train under faults', () => {
  it('stops a diverging run at the step that diverged, keeps the last good checkpoint, exits non-zero', async () => {
    const out = join(dir, 'diverged');
    const args = ['train', '--model', TINY_MODEL, '--data', data, '--out', out, '--method', 'full', '--lr', '1e4', '--batch-size', '1', '--epochs', '3', '--checkpoint-every', '2'];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(1);
    const step = Number(r.stderr.match(/Training diverged at step (\d+)/)![1]);
    expect(r.stderr).not.toMatch(/\bwrote\b/);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(false);
    const run = manifest(out);
    expect(run.status).toBe('diverged');
    expect(run.error).toMatch(new RegExp(`step ${step}\\b`));
    // Every checkpoint written holds finite weights only, from before the divergence.
    if (existsSync(join(out, 'checkpoint.safetensors'))) {
      expect(run.checkpointStep).toBeLessThan(step);
      const reader = await openSafetensors(new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))));
      for (const name of reader.names) expect((await reader.readFloat32(name)).every(Number.isFinite), name).toBe(true);
    }
    for (const [s, loss] of run.losses) expect(Number.isFinite(loss), `loss of step ${s}`).toBe(true);
  });

  it('reruns the same command in a folder whose run failed before its first checkpoint', async () => {
    const out = join(dir, 'no-checkpoint');
    const args = ['train', '--model', TINY_MODEL, '--data', data, '--out', out, '--method', 'full', '--lr', '1e4', '--batch-size', '1', '--epochs', '3'];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(1);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(false);
    const again = await runCli(args);
    expect(again.stderr).not.toMatch(/not empty|cannot be used/);
    expect(again.stderr).toMatch(/Training diverged/);
    const resume = await runCli([...args, '--resume', join(out, 'checkpoint.safetensors')]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toMatch(/stopped before its first checkpoint.*without --resume/);
  });

  it('treats SIGTERM like Ctrl-C: a checkpoint, exit 130; resuming refuses other data and another model', async () => {
    const out = join(dir, 'sigterm');
    const run = startCli(['train', ...LORA, '--data', data, '--out', out, '--epochs', '3']);
    await run.waitForStderr(/step 1\/18/);
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(manifest(out)).toMatchObject({ status: 'paused' });
    const checkpoint = join(out, 'checkpoint.safetensors');
    expect(existsSync(checkpoint)).toBe(true);

    // Same number of examples, other content.
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, CHAT_DATA.replaceAll('hello', 'goodbye').replaceAll('fine', 'well') + '\n');
    const otherData = await runCli(['train', ...LORA, '--data', other, '--out', out, '--epochs', '3', '--resume', checkpoint]);
    expect(otherData.code).toBe(1);
    expect(otherData.stderr).toMatch(/made with another data/);

    // Same shape, other weights.
    const model2 = join(dir, 'model2');
    cpSync(TINY_MODEL, model2, { recursive: true });
    const st = readFileSync(join(model2, 'model.safetensors'));
    st[st.length - 1] ^= 0x01; // one bit of the last weight
    writeFileSync(join(model2, 'model.safetensors'), st);
    const otherModel = await runCli(['train', ...LORA.map((a) => (a === TINY_MODEL ? model2 : a)), '--data', data, '--out', out, '--epochs', '3', '--resume', checkpoint]);
    expect(otherModel.code).toBe(1);
    expect(otherModel.stderr).toMatch(/made with another model/);
  });

  it('learns from a dataset of a single batch (no run ends with every step at lr 0)', async () => {
    const out = join(dir, 'one-batch');
    const one = join(dir, 'one.jsonl');
    writeFileSync(one, CHAT_DATA.split('\n').slice(0, 2).join('\n') + '\n');
    const r = await runCli(['train', '--model', TINY_MODEL, '--data', one, '--out', out, '--batch-size', '4', '--lora-r', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/step 1\/1 .* lr 2\.00e-4/);
    const reader = await openSafetensors(new Uint8Array(readFileSync(join(out, 'adapter_model.safetensors'))));
    const bNames = reader.names.filter((n) => n.includes('lora_B'));
    let largest = 0;
    for (const n of bNames) for (const x of await reader.readFloat32(n)) largest = Math.max(largest, Math.abs(x));
    expect(largest).toBeGreaterThan(0);
  });

  it('checks the types and ranges of --config values like the flags', async () => {
    const cases: [object, RegExp][] = [
      [{ lr: '1e-3' }, /lr must be a positive number, got "1e-3"/],
      [{ optimizer: { weightDecay: -0.1 } }, /optimizer\.weightDecay must be a number ≥ 0, got -0\.1/],
      [{ optimizer: { maxGradNorm: null } }, /optimizer\.maxGradNorm must be a number ≥ 0 \(0 = no clipping\), got null/],
      [{ epochs: 1.5 }, /epochs must be an integer ≥ 1, got 1\.5/],
    ];
    for (const [i, [config, message]] of cases.entries()) {
      const file = join(dir, `cfg-${i}.json`);
      writeFileSync(file, JSON.stringify(config));
      const r = await runCli(['train', '--model', TINY_MODEL, '--data', data, '--out', join(dir, `cfg-out-${i}`), '--config', file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('refuses a tokenizer with ids beyond the model\'s vocabulary, naming both sizes', async () => {
    const model = join(dir, 'small-vocab');
    cpSync(TINY_MODEL, model, { recursive: true });
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    const vocab = config.vocab_size;
    config.vocab_size = vocab - 8;
    writeFileSync(join(model, 'config.json'), JSON.stringify(config));
    for (const command of [['train', '--data', data, '--out', join(dir, 'sv-out')], ['score', '--input', data]]) {
      const r = await runCli([command[0], '--model', model, ...command.slice(1)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`\\(${vocab} tokens\\) but config\\.json's vocab_size is ${vocab - 8}`));
    }
  });
});
