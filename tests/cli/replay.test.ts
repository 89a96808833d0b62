// `replay` and `mix` as child processes. The tiny fixture model is untrained and almost never closes a
// quote or ends a turn, so the tests use a copy whose config.json ends a turn at every third token id
// (Magpie requests and answers then end after a few tokens), and an untrained ONNX guard whose random
// weights call some answers safe and some unsafe. Structure and arithmetic, not quality: the JSONL
// holds exactly the pairs the funnel counts, each with its provenance; a cancel keeps the pairs
// written; bad options are refused by name before any GPU work; `mix` writes the mixed dataset.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardFiles } from '../../src/safety/guard/guard-files';
import { initGuardWeights, type GuardConfig } from '../../src/safety/guard/guard-model';
import { DEFAULT_GUARD_TRAIN_CONFIG } from '../../src/safety/guard/guard-train';
import type { ReplayFunnel } from '../../src/studio/replay';
import { parseReplaySet } from '../../src/studio/replay-set';
import { parseDataset } from '../../src/text/datasets';
import { tinyChatFiles, tinyChatTokenizer } from '../safety/helpers/tiny-tokenizer';
import { jsonLines, removeTempFolders, runCli, startCli, tempFolder, TINY_MODEL } from './run-cli';

afterAll(removeTempFolders);

interface Printed {
  funnel: ReplayFunnel;
  record: { judge: { name: string }; complete: boolean; settings: { extraction: { domains: string[]; strategies: string[] } } };
}

let dir: string;
let model: string;
let guard: string;
let domains: string;

beforeAll(() => {
  dir = tempFolder({ 'domains.txt': '# two of the paper\'s domains\ntheft\nweapons\n' });
  domains = join(dir, 'domains.txt');
  model = tempFolder();
  for (const name of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) writeFileSync(join(model, name), readFileSync(join(TINY_MODEL, name)));
  const config = JSON.parse(readFileSync(join(TINY_MODEL, 'config.json'), 'utf8'));
  writeFileSync(join(model, 'config.json'), JSON.stringify({ ...config, eos_token_id: [2, ...Array.from({ length: 105 }, (_, i) => 3 * (i + 1))] }));
  const tokenizer = tinyChatTokenizer();
  const cfg: GuardConfig = { vocabSize: tokenizer.vocabSize, embedDim: 8, hiddenDim: 8, headTokens: 4, separatorId: tokenizer.encode('<|im_end|>', { addSpecialTokens: false })[0], labels: ['safe', 'harmful'] };
  guard = tempFolder();
  const files = guardFiles({ cfg, weights: initGuardWeights(cfg, 5), train: { ...DEFAULT_GUARD_TRAIN_CONFIG, embedDim: 8, hiddenDim: 8, headTokens: 4 }, losses: [] }, tinyChatFiles(), 'random-guard');
  for (const [name, bytes] of files) writeFileSync(join(guard, name), bytes);
});

const BASE = ['--strategy', 'magpie', '--max-new-tokens', '8', '--response-tokens', '4', '--judge', 'onnx', '--judge-model'];

describe('CLI replay', () => {
  it('writes the pairs the funnel counts as messages JSONL with their provenance', async () => {
    const out = join(dir, 'replay.jsonl');
    const cli = await runCli(['replay', '--model', model, '--out', out, '--domains', domains, '--samples', '6', '--seed', '2', ...BASE, guard]);
    expect(cli.code, cli.stderr).toBe(0);
    const [printed] = jsonLines<Printed>(cli.stdout);
    const { funnel, record } = printed;
    expect(record.settings.extraction).toMatchObject({ domains: ['theft', 'weapons'], strategies: ['magpie'] });
    expect(record.complete).toBe(true);
    expect(funnel.judge).toBe('onnx:random-guard');
    expect(funnel.extraction.total.sampled).toBe(12); // Magpie: samples × domains
    expect(funnel.filters.map((f) => [f.name, f.total])).toEqual([['perplexity-band', funnel.extraction.total.kept], ['near-duplicates', funnel.filters[0].kept]]);
    const a = funnel.firstAnswers;
    expect(a.easy + a.hard + a.unlabelled).toBe(funnel.responded);
    expect(funnel.revise!.hard).toBe(a.hard);
    expect(funnel.benign).toBeNull(); // off unless --benign-samples

    const text = readFileSync(out, 'utf8');
    const pairs = parseReplaySet(text, out);
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.length).toBe(funnel.selected.total);
    expect(pairs.filter((p) => p.kind === 'easy').length).toBe(a.easy);
    expect(pairs.filter((p) => p.kind === 'hard').length).toBe(funnel.revise!.fixed);
    for (const line of jsonLines(text)) {
      expect(line).toMatchObject({ domain: 'none', strategy: 'magpie', judge: 'onnx:random-guard', judge_label: 'safe', mix_source: expect.stringMatching(/^replay-(hard|easy)$/) });
      expect(line.revised).toBe(String(line.kind === 'hard'));
      expect((line.messages as { role: string }[]).map((m) => m.role)).toEqual(['user', 'assistant']);
    }
    expect(parseDataset(text, out)).toHaveLength(pairs.length); // the messages layout train --data reads
    expect(cli.stderr).toMatch(/extraction: \d+ requests of 12 sampled \(yield [\d.]+%\)/);
    expect(cli.stderr).toMatch(/magpie: yield/);
    expect(cli.stderr).toMatch(/filter near-duplicates: kept \d+ of \d+/);
    expect(cli.stderr).toMatch(/first answers by onnx:random-guard: /);
    expect(cli.stderr).toMatch(/ {2}none: 12 → /);

    // --pairs draws a selection, and the file is rewritten with it.
    const one = join(dir, 'one.jsonl');
    const drawn = await runCli(['replay', '--model', model, '--out', one, '--domains', domains, '--samples', '6', '--seed', '2', '--pairs', '1', ...BASE, guard]);
    expect(drawn.code, drawn.stderr).toBe(0);
    const [selection] = jsonLines<Printed>(drawn.stdout);
    expect(selection.funnel.selection).toMatchObject({ wantedPairs: 1 });
    expect(parseReplaySet(readFileSync(one, 'utf8'), one)).toHaveLength(1);
    expect(selection.funnel.usable).toEqual(funnel.usable); // the same seed, the same run up to the selection
  });

  it('--benign-samples adds benign pairs after the safety pairs, and mix --benign-share mixes them in', async () => {
    const out = join(dir, 'benign.jsonl');
    const cli = await runCli(['replay', '--model', model, '--out', out, '--domains', domains, '--samples', '6', '--seed', '2', '--benign-samples', '16', ...BASE, guard]);
    expect(cli.code, cli.stderr).toBe(0);
    const [{ funnel, record }] = jsonLines<Printed & { record: { refusalCheck: string } }>(cli.stdout);
    const b = funnel.benign!;
    expect(b).toMatchObject({ judge: 'onnx:random-guard', refusalCheck: 'keyword-refusal', sampled: 16 });
    expect(b.unfinished + b.empty + b.duplicate + b.answered).toBe(16);
    expect(b.harmful + b.harmUnlabelled + b.refused + b.refusalUnlabelled + b.kept).toBe(b.answered);
    expect(b.kept).toBeGreaterThan(0);
    expect(record.refusalCheck).toBe('keyword-refusal');
    expect(cli.stderr).toMatch(new RegExp(`benign replay: ${b.kept} pairs kept of 16 requests the model wrote`));
    expect(cli.stderr).toMatch(/answers dropped: \d+ harmful, \d+ refused, \d+ unlabelled/);

    const lines = jsonLines(readFileSync(out, 'utf8'));
    expect(lines).toHaveLength(funnel.selected.total + b.kept);
    const benign = lines.filter((l) => l.kind === 'benign');
    expect(benign).toHaveLength(b.kept);
    expect(lines.slice(-b.kept)).toEqual(benign); // written after the safety pairs
    for (const line of benign) expect(line).toMatchObject({ domain: 'benign', strategy: 'magpie', mix_source: 'benign', revised: 'false', judge: 'onnx:random-guard', judge_label: 'safe' });

    const task = join(dir, 'task.jsonl');
    writeFileSync(task, Array.from({ length: 40 }, (_, i) => JSON.stringify({ prompt: `q${i}`, completion: `t${i}` })).join('\n'));
    const mixed = join(dir, 'mixed-benign.jsonl');
    const mix = await runCli(['mix', '--task', task, '--replay', out, '--out', mixed, '--ratio', '0.2', '--benign-share', '0.5', '--seed', '1']);
    expect(mix.code, mix.stderr).toBe(0);
    const [{ report }] = jsonLines<{ report: { bySource: Record<string, number> } }>(mix.stdout);
    expect(report.bySource.benign).toBe(Math.min(4, b.kept)); // half of the 8 replay rows
    const rows = parseDataset(readFileSync(mixed, 'utf8'), mixed).filter((r) => r.meta?.mix_source === 'benign');
    expect(rows).toHaveLength(report.bySource.benign);
    const requests = new Set(benign.map((l) => (l.messages as { content: string }[])[0].content));
    for (const row of rows) expect(requests.has(row.messages[0].content)).toBe(true);
  });

  it('Ctrl-C keeps the pairs written so far and prints their funnel', async () => {
    const out = join(dir, 'stopped.jsonl');
    const run = startCli(['replay', '--model', model, '--out', out, '--domains', domains, '--samples', '12', '--batch-size', '2', '--dedup-threshold', '1', ...BASE, guard]);
    await run.waitForStderr(/wrote \d+ pairs/);
    run.child.kill('SIGINT');
    const cli = await run.done;
    expect(cli.code, cli.stderr).toBe(130);
    expect(cli.stderr).toMatch(/stopped: the \d+ pairs finished are kept/);
    const [printed] = jsonLines<Printed>(cli.stdout);
    expect(printed.funnel.complete).toBe(false);
    expect(printed.funnel.selection).toBeNull();
    const pairs = parseReplaySet(readFileSync(out, 'utf8'), out);
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs.length).toBe(printed.funnel.usable.easy + printed.funnel.usable.hard);
    expect(printed.funnel.responded).toBeLessThan(printed.funnel.filters.at(-1)!.kept);
  });

  it('refuses bad options by name before loading anything', async () => {
    const out = join(dir, 'bad.jsonl');
    const cases: [string[], RegExp][] = [
      [['--strategy', 'prefill'], /--strategy must be one or more of assistant-prefill, user-prefill, magpie/],
      [['--domains', join(dir, 'missing.txt')], /--domains: file .*missing\.txt does not exist/],
      [['--hard-ratio', '1.5'], /--hard-ratio must be a number in \[0, 1\], got "1.5"/],
      [['--samples', '0'], /--samples must be an integer ≥ 1/],
      [['--judge', 'onnx'], /--judge onnx needs --judge-model DIR/],
      [['--judge', 'world'], /--judge world is the embedded world's labeller .* not the embedded model/],
      [['--perplexity-band', '90,10'], /--perplexity-band must be LOW,HIGH percentiles/],
      [['--no-perplexity', '--perplexity-band', '5,95'], /contradict/],
      [['--shortage', 'keep-ratio'], /--shortage is for --pairs N/],
      [['--relevance-top-k', '2'], /--relevance-top-k is for --domain-relevance/],
      [['--temprature', '1'], /unknown option --temprature/],
      [['--benign-samples', '-1'], /--benign-samples must be an integer ≥ 0, got "-1"/],
      [['--benign-samples', '4'], /--benign-samples needs a harm judge, and the keyword judge only finds refusals/], // keyword: the default judge here
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(['replay', '--model', model, '--out', out, ...args])));
    for (const [i, [args, message]] of cases.entries()) {
      const cli = runs[i];
      expect(cli.code, `${args.join(' ')}: ${cli.stderr}`).toBe(2);
      expect(cli.stderr).toMatch(message);
      expect(cli.stderr).not.toMatch(/loaded in/);
    }
    const noOut = await runCli(['replay', '--model', model]);
    expect(noOut.stderr).toMatch(/--out FILE\.jsonl is required/);
  });
});

describe('CLI mix', () => {
  it('mixes a replay set into task data, r of N rows, and names a bad replay line', async () => {
    const pair = (kind: string, i: number) => JSON.stringify({ messages: [{ role: 'user', content: `r${i}` }, { role: 'assistant', content: `a${i}` }], domain: 'theft', strategy: 'magpie', kind, revised: String(kind === 'hard'), judge: 'j', judge_label: 'safe', seed: String(i) });
    const task = Array.from({ length: 18 }, (_, i) => JSON.stringify({ prompt: `q${i}`, completion: `t${i}` })).join('\n');
    const files = tempFolder({ 'task.jsonl': task, 'replay.jsonl': [pair('hard', 0), pair('easy', 1), pair('easy', 2)].join('\n') + '\n', 'bad.jsonl': `${pair('easy', 0)}\n${pair('task', 1)}\n` });
    const out = join(files, 'mixed.jsonl');
    const cli = await runCli(['mix', '--task', join(files, 'task.jsonl'), '--replay', join(files, 'replay.jsonl'), '--out', out, '--ratio', '0.1', '--seed', '3']);
    expect(cli.code, cli.stderr).toBe(0);
    const rows = parseDataset(readFileSync(out, 'utf8'), out);
    expect(rows).toHaveLength(18);
    const count = (source: string) => rows.filter((r) => r.meta?.mix_source === source).length;
    expect([count('task'), count('replay-hard'), count('replay-easy')]).toEqual([16, 1, 1]);
    const [{ report }] = jsonLines<{ report: { rows: number; bySource: Record<string, number> } }>(cli.stdout);
    expect(report.bySource).toEqual({ task: 16, 'replay-hard': 1, 'replay-easy': 1, benign: 0 });
    expect(cli.stderr).toMatch(/mix: 18 rows \(16 task, 1 replay-hard, 1 replay-easy, 0 benign\)/);

    const bad = await runCli(['mix', '--task', join(files, 'task.jsonl'), '--replay', join(files, 'bad.jsonl'), '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.jsonl line 2: has kind "task"/);
    const ratio = await runCli(['mix', '--task', join(files, 'task.jsonl'), '--replay', join(files, 'replay.jsonl'), '--out', out, '--ratio', '1']);
    expect(ratio.code).toBe(2);
    expect(ratio.stderr).toMatch(/--ratio must be a number in \[0, 1\), got "1"/);
  });
});
