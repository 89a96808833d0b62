// The guard's trainer: its backward against central finite differences, and training on a toy set
// of labelled pairs (tests/safety/helpers/toy-pairs.ts) to high accuracy on pairs it never saw.

import { describe, expect, it } from 'vitest';
import { GUARD_PARAMETER_NAMES, initGuardWeights, zeroGuardGradients, type GuardWeights } from '../../src/safety/guard/guard-model';
import { encodeLabelledPairs, guardAccuracy, guardBatchLoss, guardEncoding, guardTrainConfig, trainGuard } from '../../src/safety/guard/guard-train';
import { numericGradient } from '../helpers/finite-diff';
import { tinyChatTokenizer } from './helpers/tiny-tokenizer';
import { toyPairs, type ToyPair } from './helpers/toy-pairs';

const tokenizer = tinyChatTokenizer();
const key = (p: ToyPair) => `${p.request}\u0000${p.response}`;

describe('guard backward', () => {
  it('matches central finite differences for every parameter', () => {
    const train = guardTrainConfig({ embedDim: 4, hiddenDim: 5, headTokens: 3, maxLength: 40 });
    const { cfg, encoder } = guardEncoding(tokenizer, train);
    const batch = encodeLabelledPairs(encoder, toyPairs(3, 7));
    // A pair with an empty response still has the separator in its response part.
    batch.push(...encodeLabelledPairs(encoder, [{ request: 'hi', response: '', label: 'safe' }]));
    const weights = initGuardWeights(cfg, 3);
    for (const b of [weights.b1, weights.b2]) for (let i = 0; i < b.length; i++) b[i] = 0.1 * (i % 3) - 0.1; // exercise bias paths
    const grads = zeroGuardGradients(cfg);
    guardBatchLoss(cfg, weights, batch, grads);
    let checked = 0;
    for (const name of GUARD_PARAMETER_NAMES) {
      const lossOf = (values: Float64Array) => [guardBatchLoss(cfg, { ...weights, [name]: values } as GuardWeights, batch)];
      const numeric = numericGradient(lossOf, weights[name], [1], 1e-6);
      for (let i = 0; i < numeric.length; i++) {
        expect(Math.abs(grads[name][i] - numeric[i]), `${name}[${i}]: analytic ${grads[name][i]}, numeric ${numeric[i]}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(numeric[i]));
      }
      checked += numeric.length;
      expect(grads[name].some((g) => g !== 0), `${name} gets a gradient`).toBe(true);
    }
    expect(checked).toBe(cfg.vocabSize * 4 + 5 * 12 + 5 + 2 * 5 + 2);
  });
});

describe('guard training', () => {
  const trainSet = toyPairs(800, 1);
  const seen = new Set(trainSet.map(key));
  const heldOut = toyPairs(600, 2).filter((p) => !seen.has(key(p)));

  it('reaches high accuracy on held-out pairs of every kind (truncated, repetitive, garbled included)', async () => {
    const losses: number[] = [];
    const guard = await trainGuard(tokenizer, trainSet, { seed: 5 }, { onEpoch: (p) => losses.push(p.loss) });
    expect(losses).toHaveLength(guard.train.epochs);
    expect(losses.at(-1)!).toBeLessThan(losses[0] / 5);
    const { encoder } = guardEncoding(tokenizer, guard.train);
    const encoded = encodeLabelledPairs(encoder, heldOut);
    expect(heldOut.length).toBeGreaterThan(300);
    const untrained = guardAccuracy(guard.cfg, initGuardWeights(guard.cfg, 5), encoded);
    const accuracy = guardAccuracy(guard.cfg, guard.weights, encoded);
    console.info(`toy guard: held-out accuracy ${(100 * accuracy).toFixed(1)}% on ${heldOut.length} pairs (untrained ${(100 * untrained).toFixed(1)}%)`);
    expect(untrained).toBeLessThan(0.8);
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
    const kinds = [...new Set(heldOut.map((p) => p.kind))];
    expect(kinds.length).toBe(9);
    for (const kind of kinds) {
      const idx = heldOut.flatMap((p, i) => (p.kind === kind ? [i] : []));
      expect(guardAccuracy(guard.cfg, guard.weights, idx.map((i) => encoded[i])), kind).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('is reproducible from its seed, and the seed matters', async () => {
    const small = trainSet.slice(0, 120);
    const run = (seed: number) => trainGuard(tokenizer, small, { seed, epochs: 2 });
    const [a, b, c] = await Promise.all([run(11), run(11), run(12)]);
    expect(Array.from(a.weights.w1)).toEqual(Array.from(b.weights.w1));
    expect(a.losses).toEqual(b.losses);
    expect(Array.from(a.weights.w1)).not.toEqual(Array.from(c.weights.w1));
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const run = trainGuard(tokenizer, trainSet, { epochs: 50 }, { signal: controller.signal, onEpoch: (p) => p.epoch === 1 && controller.abort(new Error('stop')) });
    await expect(run).rejects.toThrow('stop');
  });

  it('rejects unknown settings, a separator the tokenizer lacks, and a template without it', async () => {
    expect(() => guardTrainConfig({ epoch: 3 } as never)).toThrow(/unknown setting\(s\) epoch/);
    await expect(trainGuard(tokenizer, trainSet, { separatorToken: '<|sep|>' })).rejects.toThrow(/<\|sep\|>.*not in tokenizer.json/);
    await expect(trainGuard(tokenizer, trainSet, { pairTemplate: '{request} then {response}' })).rejects.toThrow(/must write the separator/);
    await expect(trainGuard(tokenizer, [{ request: 'a', response: 'b', label: 'bad' as never }])).rejects.toThrow(/label "bad"/);
  });
});
