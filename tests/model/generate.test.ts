// Generation against the PyTorch golden greedy continuations, batched vs one-by-one, and
// reproducible sampling.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu';
import { generate } from '../../src/model/generate';
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

  it('sampling is reproducible with a seed and differs across seeds', async () => {
    const run = (seed: number) => generate(model, prompts(), { maxNewTokens: 8, sampling: { temperature: 1.5, seed }, eosIds: [] });
    const a = await run(7);
    expect((await run(7)).tokens).toEqual(a.tokens);
    const others = await Promise.all([run(8), run(9)]);
    expect(others.some((o) => JSON.stringify(o.tokens) !== JSON.stringify(a.tokens))).toBe(true);
  });
});
