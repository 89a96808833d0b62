// CLI usage errors: each bad command line exits non-zero (2 for the command line, 1 for bad data)
// with a message that names the flag or file at fault. None of these start the GPU.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFolders, runCli, tempFolder, TINY_MODEL } from './run-cli';

afterAll(removeTempFolders);

describe.concurrent('CLI usage errors', () => {
  it('lists the commands, and shows per-command help listing every flag', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toMatch(/generate[\s\S]*score[\s\S]*train/);
    expect(none.stdout).toMatch(/\n {2}replay +regenerate a safety replay set[\s\S]*\n {2}mix +mix a replay set into task data/);
    const replay = await runCli(['replay', '--help']);
    expect(replay.code).toBe(0);
    for (const flag of ['--model DIR', '--out FILE.jsonl', '--strategy assistant-prefill|user-prefill|magpie', '--domains world|paper|FILE', '--samples N', '--judge world|keyword|onnx|guard', '--hard-ratio R', '--no-revise']) {
      expect(replay.stdout).toContain(flag);
    }
    const help = await runCli(['train', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--model DIR', '--data FILE.jsonl', '--out DIR', '--method lora|full', '--grad-accum N', '--lora-dropout P', '--resume CHECKPOINT', '--checkpoint-every N', '--eval FILE.jsonl']) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('refuses an unknown command and an unknown flag by name', async () => {
    const command = await runCli(['tune', '--model', TINY_MODEL]);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command "tune"/);
    const flag = await runCli(['generate', '--model', TINY_MODEL, '--prompt', 'hi', '--temprature', '0.5']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option --temprature/);
    expect(flag.stderr).toMatch(/generate --help/);
  });

  it('names a missing required flag, a flag without its value, and a bad number', async () => {
    const missing = await runCli(['score', '--input', 'x.jsonl']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--model DIR is required/);
    const noValue = await runCli(['generate', '--model', TINY_MODEL, '--prompt']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toMatch(/--prompt needs a value/);
    const badNumber = await runCli(['generate', '--model', TINY_MODEL, '--prompt', 'hi', '--max-new-tokens', 'ten']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--max-new-tokens must be an integer ≥ 1, got "ten"/);
    const both = await runCli(['generate', '--model', TINY_MODEL, '--prompt', 'hi', '--input', 'p.jsonl']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --prompt TEXT or --input/);
  });

  it('names a missing model folder and a missing input file', async () => {
    const model = await runCli(['generate', '--model', '/no/such/model', '--prompt', 'hi']);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(/--model: folder \/no\/such\/model does not exist/);
    const notAModel = await runCli(['generate', '--model', tempFolder(), '--prompt', 'hi']);
    expect(notAModel.code).toBe(2);
    expect(notAModel.stderr).toMatch(/has no config\.json, tokenizer\.json/);
    const input = await runCli(['score', '--model', TINY_MODEL, '--input', '/no/such/data.jsonl']);
    expect(input.code).toBe(2);
    expect(input.stderr).toMatch(/--input: file \/no\/such\/data\.jsonl does not exist/);
  });

  it('names the file, line and fields of a dataset in an unknown layout', async () => {
    const dir = tempFolder({ 'data.jsonl': '{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}\n{"text":"no layout","label":1}\n' });
    const r = await runCli(['train', '--model', TINY_MODEL, '--data', join(dir, 'data.jsonl'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/data\.jsonl \(line 2\): unknown layout with fields text, label/);
  });

  it('refuses unknown training options from --config by name', async () => {
    const dir = tempFolder({ 'data.jsonl': '{"prompt":"a","completion":"b"}\n', 'cfg.json': '{"learningRate": 0.1}' });
    const r = await runCli(['train', '--model', TINY_MODEL, '--data', join(dir, 'data.jsonl'), '--out', join(dir, 'out'), '--config', join(dir, 'cfg.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown training option: learningRate/);
  });

  it('never writes into a folder holding foreign files, and never starts a saved run over', async () => {
    const dir = tempFolder({ 'data.jsonl': '{"prompt":"a","completion":"b"}\n' });
    const out = join(dir, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const fresh = await runCli(['train', '--model', TINY_MODEL, '--data', join(dir, 'data.jsonl'), '--out', out]);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(/--out .*out cannot be used: it holds files this tool did not write \(notes\.txt\)/);
    writeFileSync(join(out, 'checkpoint.safetensors'), 'x');
    const resumed = await runCli(['train', '--model', TINY_MODEL, '--data', join(dir, 'data.jsonl'), '--out', out, '--resume', join(out, 'checkpoint.safetensors')]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toMatch(/cannot be used: it holds files this tool did not write \(notes\.txt\)/);

    // A run of ours with a checkpoint is never started over by accident.
    const ours = join(dir, 'ours');
    mkdirSync(ours);
    writeFileSync(join(ours, 'train-run.json'), JSON.stringify({ format: 'grsap-train-run-2', status: 'paused', checkpointStep: 3 }));
    writeFileSync(join(ours, 'checkpoint.safetensors'), 'x');
    const again = await runCli(['train', '--model', TINY_MODEL, '--data', join(dir, 'data.jsonl'), '--out', ours]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/holds a run stopped at step 3\. Choose a new folder, or add --resume .*checkpoint\.safetensors to continue it/);
  });
});
