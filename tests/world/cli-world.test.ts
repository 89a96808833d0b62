// The `world` command end to end: it writes the folder a training recipe reads, and refuses to write
// into a folder that already holds files.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempFolders, runCli, tempFolder } from '../cli/run-cli';

afterAll(removeTempFolders);

describe('npm run cli -- world', () => {
  it('writes datasets, evaluation sets, tokenizer and manifest, the same for the same seed', async () => {
    const root = tempFolder();
    const run = (out: string) => runCli(['world', '--out', out, '--seed', '7', '--stage1', '300', '--stage2', '80']);
    const first = await run(join(root, 'a'));
    expect(first.code, first.stderr).toBe(0);
    for (const file of ['stage1.jsonl', 'stage2.jsonl', 'eval/harmful-dev.jsonl', 'eval/harmful-test.jsonl', 'eval/over-refusal.jsonl', 'eval/benign-checks.jsonl', 'tasks/sums/test.jsonl', 'tokenizer/tokenizer.json', 'tokenizer/tokenizer_config.json', 'world.json']) {
      expect(existsSync(join(root, 'a', file)), file).toBe(true);
    }
    expect(readFileSync(join(root, 'a', 'stage1.jsonl'), 'utf8').trim().split('\n')).toHaveLength(300);
    const manifest = JSON.parse(readFileSync(join(root, 'a', 'world.json'), 'utf8'));
    expect(manifest.seed).toBe(7);
    expect(first.stderr).toMatch(/wrote \d+ files/);
    const second = await run(join(root, 'b'));
    expect(second.code, second.stderr).toBe(0);
    for (const file of ['stage2.jsonl', 'eval/harmful-dev.jsonl', 'tokenizer/tokenizer.json']) {
      expect(readFileSync(join(root, 'b', file), 'utf8')).toBe(readFileSync(join(root, 'a', file), 'utf8'));
    }
  });

  it('refuses a folder that is not empty', async () => {
    const out = tempFolder();
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const r = await runCli(['world', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not empty/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
