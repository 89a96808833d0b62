// `train-guard` as a child process: toy labelled pairs in, a text-classification folder out whose
// model.onnx labels the held-out pairs in onnxruntime-web as well as the command reported.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelledPairsToJsonl } from '../../src/safety/guard/labelled-pairs';
import { OnnxClassifierJudge } from '../../src/safety/judges/onnx-classifier';
import { TINY_CHAT } from '../safety/helpers/tiny-tokenizer';
import { toyPairs } from '../safety/helpers/toy-pairs';
import { jsonLines, removeTempFolders, runCli, tempFolder } from './run-cli';

afterAll(removeTempFolders);

describe('CLI train-guard', () => {
  it('trains on labelled pairs and writes a guard folder that onnxruntime-web loads', async () => {
    const pairs = toyPairs(500, 4);
    const dir = tempFolder({ 'pairs.jsonl': labelledPairsToJsonl(pairs) });
    const out = join(dir, 'guard');
    const cli = await runCli(['train-guard', '--pairs', join(dir, 'pairs.jsonl'), '--tokenizer', TINY_CHAT, '--out', out, '--epochs', '8', '--heldout', '0.2', '--name', 'toy-guard']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/epoch 8\/8: loss/);
    const [summary] = jsonLines<{ pairs: number; train: number; heldOut: number; heldOutAccuracy: number }>(cli.stdout);
    expect(summary).toMatchObject({ pairs: 500, train: 400, heldOut: 100 });
    expect(summary.heldOutAccuracy).toBeGreaterThanOrEqual(0.95);

    const read = (name: string) => readFileSync(join(out, name));
    const judge = await OnnxClassifierJudge.create({
      model: new Uint8Array(read('model.onnx')),
      config: JSON.parse(read('config.json').toString()),
      tokenizerJson: JSON.parse(read('tokenizer.json').toString()),
      tokenizerConfig: JSON.parse(read('tokenizer_config.json').toString()),
    });
    expect(judge.name).toBe('onnx:toy-guard');
    const fresh = toyPairs(200, 77);
    const verdicts = await judge.judge(fresh);
    expect(verdicts.filter((v, i) => v.label === fresh[i].label).length / fresh.length).toBeGreaterThanOrEqual(0.95);
    await judge.dispose();
  });

  it('names the line of a bad pairs file, and refuses a non-empty output folder', async () => {
    const dir = tempFolder({ 'bad.jsonl': '{"request": "a", "response": "b", "label": "safe"}\n{"request": "a", "response": "b", "label": "maybe"}\n', 'good.jsonl': labelledPairsToJsonl(toyPairs(20, 1)) });
    const bad = await runCli(['train-guard', '--pairs', join(dir, 'bad.jsonl'), '--tokenizer', TINY_CHAT, '--out', join(dir, 'out')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad.jsonl line 2: label is "maybe"; use "harmful" or "safe"/);
    const taken = await runCli(['train-guard', '--pairs', join(dir, 'good.jsonl'), '--tokenizer', TINY_CHAT, '--out', dir]);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/is not empty/);
  });

  it('--world draws labelled pairs from the world (the recipe at tiny scale)', async () => {
    const dir = tempFolder();
    const out = join(dir, 'guard');
    const cli = await runCli(['train-guard', '--world', '--world-pairs', '400', '--epochs', '2', '--heldout', '0.25', '--tokenizer', TINY_CHAT, '--out', out, '--save-pairs', join(dir, 'pairs.jsonl')]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/world pairs: \d+ labelled by the world's labeller, \d+ left unlabelled and dropped/);
    expect(cli.stderr).toMatch(/by damage: .*garbled/);
    const [summary] = jsonLines<{ pairs: number; heldOut: number; heldOutAccuracy: number }>(cli.stdout);
    expect(summary.pairs).toBeLessThanOrEqual(400);
    expect(summary.heldOut).toBe(Math.round(0.25 * summary.pairs));
    expect(summary.heldOutAccuracy).toBeGreaterThan(0.5);
    expect(readFileSync(join(dir, 'pairs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(summary.pairs);
    const both = await runCli(['train-guard', '--world', '--pairs', join(dir, 'pairs.jsonl'), '--tokenizer', TINY_CHAT, '--out', join(dir, 'other')]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --pairs FILE.jsonl or --world/);
    const extraWithoutWorld = await runCli(['train-guard', '--pairs', join(dir, 'pairs.jsonl'), '--world-extra-kinds', '--tokenizer', TINY_CHAT, '--out', join(dir, 'other')]);
    expect(extraWithoutWorld.code).toBe(2);
    expect(extraWithoutWorld.stderr).toMatch(/--world-seed, --world-pairs and --world-extra-kinds are for --world/);
  });
});
