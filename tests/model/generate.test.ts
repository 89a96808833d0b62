// Generation against the PyTorch golden greedy continuations, batched vs one-by-one, and
// reproducible sampling.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { generate, rowsToKeep } from '../../src/model/generate';
import { destroyLoraAdapter } from '../../src/model/lora';
import type { DecoderModel } from '../../src/model/model';
import { importPeftAdapter } from '../../src/model/peft';
import { GOLDEN_CASES, loadGoldenModel, openGoldenCase, type GoldenCase } from '../helpers/golden';
import { testGpu } from '../helpers/gpu';

describe.each(GOLDEN_CASES)('generation: %s', (caseName) => {
  let gpu: Gpu;
  let c: GoldenCase;
  let model: DecoderModel;

  beforeAll(async () => {
    gpu = await testGpu();
    c = await openGoldenCase(caseName);
    model = await loadGoldenModel(gpu, c);
  });
  afterAll(() => model?.destroy());

  const greedy = { temperature: 0 };
  const prompts = () => c.json.greedy.map((g: { prompt: number[] }) => g.prompt) as number[][];

  it('greedy continuations equal PyTorch, one by one and batched (left-padded)', async () => {
    const expected = c.json.greedy.map((g: { base_new_ids: number[] }) => g.base_new_ids);
    for (const [i, prompt] of prompts().entries()) {
      const r = await generate(model, [prompt], { maxNewTokens: 6, sampling: greedy, eosIds: [] });
      expect(r.tokens[0], `prompt ${i}`).toEqual(expected[i]);
      expect(r.finish[0]).toBe('length');
    }
    const batched = await generate(model, prompts(), { maxNewTokens: 6, sampling: greedy, eosIds: [] });
    expect(batched.tokens).toEqual(expected);
  });

  it('greedy continuations with a PEFT adapter equal PyTorch', async () => {
    model.attach({ kind: 'lora', adapter: await importPeftAdapter(gpu, c.cfg, c.adapterConfig, c.adapter) });
    try {
      const r = await generate(model, prompts(), { maxNewTokens: 6, sampling: greedy, eosIds: [] });
      expect(r.tokens).toEqual(c.json.greedy.map((g: { lora_new_ids: number[] }) => g.lora_new_ids));
    } finally {
      destroyLoraAdapter(model.adapter!);
      model.detach();
    }
  });

  it('stops a row at EOS and keeps the others going', async () => {
    const expected = c.json.greedy.map((g: { base_new_ids: number[] }) => g.base_new_ids) as number[][];
    const eos = expected[0][2];
    const r = await generate(model, prompts(), { maxNewTokens: 6, sampling: greedy, eosIds: [eos] });
    expect(r.tokens[0]).toEqual(expected[0].slice(0, expected[0].indexOf(eos) + 1));
    expect(r.finish[0]).toBe('eos');
  });

  it('rows of two batches sampled in one call, each at its place, continue as in their own batches', async () => {
    // What replay relies on to answer several batches per call: a row's logits do not depend on the
    // other rows of its (left-padded) batch, and its draw is keyed by its place, not its index.
    const [a, b] = prompts();
    const first = [a, b, a.slice(1)];
    const second = [b.slice(1), a, b]; // other lengths beside each row: other left padding
    const sampling = (n: number, seed: number) => Array.from({ length: n }, (_, b) => ({ temperature: 1.5, topP: 0.95, seed: seed + b }));
    const alone = [
      ...(await generate(model, first, { maxNewTokens: 8, sampling: sampling(3, 10), eosIds: [] })).tokens,
      ...(await generate(model, second, { maxNewTokens: 8, sampling: sampling(3, 20), eosIds: [] })).tokens,
    ];
    const placed = [...sampling(3, 10), ...sampling(3, 20)].map((s, i) => ({ ...s, place: i % 3 }));
    const together = await generate(model, [...first, ...second], { maxNewTokens: 8, sampling: placed, eosIds: [] });
    expect(together.tokens).toEqual(alone);
    const unplaced = await generate(model, [...first, ...second], { maxNewTokens: 8, sampling: [...sampling(3, 10), ...sampling(3, 20)], eosIds: [] });
    expect(unplaced.tokens.slice(3)).not.toEqual(alone.slice(3));
  });

  it.each([
    ['greedy', () => ({ temperature: 0 })],
    ['sampled', (b: number) => ({ temperature: 1.5, topP: 0.95, seed: 90 + b })],
  ] as const)('rows that finish leave the batch, and the others go on as before (%s)', async (_, sampling) => {
    // Without end ids no row finishes early, so the batch never shrinks: each row's whole
    // continuation. With the ids some rows produce first as end ids, those rows stop at once and
    // leave the batch; every row must still equal its continuation cut after its first end id.
    const [a, b] = prompts();
    const ps = [a, b, a.slice(1), b.slice(1), a.slice(2), b.slice(2)];
    const perRow = ps.map((_, r) => sampling(r));
    const full = (await generate(model, ps, { maxNewTokens: 10, sampling: perRow, eosIds: [] })).tokens;
    const eosIds = [...new Set([full[0][0], full[1][1], full[2][0]])];
    const cut = full.map((row) => {
      const at = row.findIndex((id) => eosIds.includes(id));
      return at < 0 ? row : row.slice(0, at + 1);
    });
    const early = await generate(model, ps, { maxNewTokens: 10, sampling: perRow, eosIds });
    expect(early.tokens).toEqual(cut);
    expect(early.finish).toEqual(cut.map((row, r) => (row.length < full[r].length || eosIds.includes(row[row.length - 1]) ? 'eos' : 'length')));
    // The batch did shrink: at least a quarter of its rows finished while one still ran.
    const longest = Math.max(...cut.map((row) => row.length));
    expect(cut.filter((row) => row.length <= 2).length).toBeGreaterThanOrEqual(2);
    expect(longest).toBeGreaterThan(3);
  });

  it('sampling is reproducible with a seed and differs across seeds', async () => {
    const run = (seed: number) => generate(model, prompts(), { maxNewTokens: 8, sampling: { temperature: 1.5, seed }, eosIds: [] });
    const a = await run(7);
    expect((await run(7)).tokens).toEqual(a.tokens);
    const others = await Promise.all([run(8), run(9)]);
    expect(others.some((o) => JSON.stringify(o.tokens) !== JSON.stringify(a.tokens))).toBe(true);
  });
});

describe('rowsToKeep', () => {
  const fin = (n: number, done: number[]) => Array.from({ length: n }, (_, b) => (done.includes(b) ? ('eos' as const) : null));
  it('keeps every row until a quarter has finished, then the running ones', () => {
    expect(rowsToKeep([0, 1, 2, 3, 4, 5, 6, 7], fin(8, [3]))).toBeNull();
    expect(rowsToKeep([0, 1, 2, 3, 4, 5, 6, 7], fin(8, [3, 5]))).toEqual([0, 1, 2, 4, 6, 7]);
    // Indices are positions in `rows`, whose entries are prompt indices.
    expect(rowsToKeep([2, 5, 7, 9], fin(10, [5]))).toEqual([0, 2, 3]);
  });
  it('never shrinks a batch below three rows, nor changes one of three or fewer', () => {
    expect(rowsToKeep([0, 1, 2, 3, 4, 5], fin(6, [0, 1, 2, 3, 4]))).toEqual([0, 1, 5]);
    expect(rowsToKeep([0, 1, 2], fin(3, [0, 1]))).toBeNull();
    expect(rowsToKeep([0, 1], fin(2, [0]))).toBeNull();
  });
});
