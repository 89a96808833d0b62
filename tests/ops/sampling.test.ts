import { describe, expect, it } from 'vitest';
import { sampleCpu, sampleTokens, samplingSettingsTensor, samplingUniform, type SamplingSettings } from '../../src/ops/sampling';
import { Rng } from '../../src/util/rng';
import { testGpu } from '../helpers/gpu';

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Tokens sampleCpu picks for every row, with the same draws as the GPU. */
function cpuTokens(logits: Float32Array, rows: number, settings: SamplingSettings | SamplingSettings[], step: number): number[] {
  const vocab = logits.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    const s = Array.isArray(settings) ? settings[r] : settings;
    return sampleCpu(logits.subarray(r * vocab, (r + 1) * vocab), s, samplingUniform(s.seed ?? 0, step, s.place ?? r));
  });
}

/**
 * Hugging Face's warpers written out independently (sort, cumulative softmax): the probability
 * of every token after temperature, top-k and top-p.
 */
function hfProbabilities(logits: number[], s: SamplingSettings): number[] {
  const scaled = logits.map((x) => x / s.temperature);
  const order = scaled.map((x, i) => ({ x, i })).sort((a, b) => b.x - a.x);
  const k = s.topK && s.topK < logits.length ? s.topK : logits.length;
  const kept = new Set(order.slice(0, k).map((e) => e.i));
  if ((s.topP ?? 1) < 1) {
    const top = order.slice(0, k);
    const z = top.reduce((acc, e) => acc + Math.exp(e.x - top[0].x), 0);
    // Ascending cumulative probability; a token goes when it is ≤ 1 - top_p (keep ≥ 1).
    let cumulative = 0;
    for (let j = top.length - 1; j > 0; j--) {
      cumulative += Math.exp(top[j].x - top[0].x) / z;
      if (cumulative <= 1 - s.topP!) kept.delete(top[j].i);
    }
  }
  const m = Math.max(...scaled);
  const w = scaled.map((x, i) => (kept.has(i) ? Math.exp(x - m) : 0));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function chiSquare(tokens: ArrayLike<number>, probs: number[]): number {
  const counts = new Array(probs.length).fill(0);
  for (let i = 0; i < tokens.length; i++) counts[tokens[i]]++;
  let chi = 0;
  probs.forEach((p, i) => {
    if (p === 0) {
      if (counts[i] > 0) chi = Infinity; // a filtered token was drawn
      return;
    }
    const expected = p * tokens.length;
    chi += (counts[i] - expected) ** 2 / expected;
  });
  return chi;
}

describe('greedy sampling', () => {
  it.each([
    [1, 1],
    [3, 7],
    [5, 257],
    [2, 5003],
  ])('equals argmax for B=%i, V=%i', async (rows, vocab) => {
    const gpu = await testGpu();
    const logits = new Rng(rows + vocab).uniformArray(rows * vocab, -5, 5);
    const tokens = await sampleTokens(gpu, gpu.upload(logits, [rows, vocab]), { temperature: 0 }, { step: 0 }).read();
    expect(Array.from(tokens)).toEqual(Array.from({ length: rows }, (_, r) => argmax(logits.subarray(r * vocab, (r + 1) * vocab))));
  });

  it('breaks ties towards the lowest index', async () => {
    const gpu = await testGpu();
    const vocab = 300;
    const logits = new Rng(2).uniformArray(3 * vocab, -1, 1);
    logits[200] = 5;
    logits[3] = 5; // row 0: tie at 3 and 200
    logits[vocab + 299] = 7;
    logits[vocab + 65] = 7; // row 1: tie at 65 and 299 (different invocations of the workgroup)
    logits.fill(0, 2 * vocab); // row 2: all equal
    const tokens = await sampleTokens(gpu, gpu.upload(logits, [3, vocab]), { temperature: 0 }, { step: 0 }).read();
    expect(Array.from(tokens)).toEqual([3, 65, 0]);
  });
});

describe('random sampling matches the CPU reference token for token', () => {
  const cases: [string, SamplingSettings][] = [
    ['temperature 0.7', { temperature: 0.7 }],
    ['temperature 1.5, top-k 5', { temperature: 1.5, topK: 5 }],
    ['top-p 0.9', { temperature: 1, topP: 0.9 }],
    ['top-k 40, top-p 0.8, temperature 0.6', { temperature: 0.6, topK: 40, topP: 0.8 }],
    ['top-p 0.3, temperature 2', { temperature: 2, topP: 0.3 }],
  ];
  it.each(cases)('%s, B=48, V=311 and B=6, V=4099', async (_, base) => {
    const gpu = await testGpu();
    for (const [rows, vocab, seed] of [[48, 311, 1234], [6, 4099, 99]]) {
      const rng = new Rng(seed + vocab);
      const logits = rng.normalArray(rows * vocab, 3);
      const logitsGpu = gpu.upload(logits, [rows, vocab]);
      for (const step of [0, 17]) {
        const settings = { ...base, seed };
        const tokens = await sampleTokens(gpu, logitsGpu, settings, { step }).read();
        expect(Array.from(tokens), `V=${vocab} step ${step}`).toEqual(cpuTokens(logits, rows, settings, step));
      }
    }
  });

  it('per-row settings (a settings tensor reused across steps)', async () => {
    const gpu = await testGpu();
    const rows = 24;
    const vocab = 97;
    const rng = new Rng(5);
    const logits = rng.normalArray(rows * vocab, 2);
    const perRow: SamplingSettings[] = Array.from({ length: rows }, (_, r) => ({
      temperature: [0, 0.5, 1, 1.7][r % 4],
      topK: [0, 1, 10, 96, 200][r % 5],
      topP: [1, 0.95, 0.5, 0.0][r % 3],
      seed: 1000 + r,
    }));
    const table = samplingSettingsTensor(gpu, perRow);
    const logitsGpu = gpu.upload(logits, [rows, vocab]);
    for (const step of [1, 2, 3]) {
      const tokens = await sampleTokens(gpu, logitsGpu, table, { step }).read();
      expect(Array.from(tokens), `step ${step}`).toEqual(cpuTokens(logits, rows, perRow, step));
    }
  });

  it('a row with a place draws as the row at that place: two small batches in one', async () => {
    // The same 3 rows of logits and settings twice, the second copy at places 0–2: each copy must
    // pick the tokens the first does (a draw keyed by the batch index would not: rows 3–5 differ).
    const gpu = await testGpu();
    const vocab = 211;
    const one = new Rng(12).normalArray(3 * vocab, 1);
    const logits = new Float32Array(6 * vocab);
    logits.set(one);
    logits.set(one, 3 * vocab);
    const rowSettings = [0, 1, 2].map((r) => ({ temperature: 1.3, topP: 0.98, seed: 40 + r }));
    const perRow: SamplingSettings[] = [...rowSettings, ...rowSettings.map((s, r) => ({ ...s, place: r }))];
    const logitsGpu = gpu.upload(logits, [6, vocab]);
    let differsWithoutPlace = false;
    for (const step of [0, 1, 2, 3, 4, 5]) {
      const tokens = Array.from(await sampleTokens(gpu, logitsGpu, perRow, { step }).read());
      expect(tokens, `step ${step}`).toEqual(cpuTokens(logits, 6, perRow, step));
      expect(tokens.slice(3), `step ${step}`).toEqual(tokens.slice(0, 3));
      const unplaced = Array.from(await sampleTokens(gpu, logitsGpu, [...rowSettings, ...rowSettings], { step }).read());
      if (unplaced.slice(3).join() !== unplaced.slice(0, 3).join()) differsWithoutPlace = true;
    }
    expect(differsWithoutPlace).toBe(true);
    expect(() => sampleTokens(gpu, logitsGpu, { temperature: 1, place: 0 }, { step: 0 })).toThrow(/per-row settings/);
  });

  it('extreme logits (±1e4) and masked (-inf) tokens', async () => {
    const gpu = await testGpu();
    const rows = 8;
    const vocab = 131;
    const rng = new Rng(8);
    const logits = Float32Array.from({ length: rows * vocab }, () => rng.uniform(-1e4, 1e4));
    for (let r = 0; r < rows; r++) for (let i = 0; i < vocab; i += 3) logits[r * vocab + i] = -Infinity;
    for (const settings of [{ temperature: 1, seed: 3 }, { temperature: 3000, topP: 0.9, seed: 4 }, { temperature: 5000, topK: 7, seed: 5 }]) {
      const tokens = await sampleTokens(gpu, gpu.upload(logits, [rows, vocab]), settings, { step: 2 }).read();
      expect(Array.from(tokens)).toEqual(cpuTokens(logits, rows, settings, 2));
      expect(Array.from(tokens).every((t) => t % 3 !== 0)).toBe(true);
    }
  });

  it('a Qwen-sized vocabulary (V=151936) with top-k and top-p', async () => {
    const gpu = await testGpu();
    const rows = 2;
    const vocab = 151_936;
    const logits = new Rng(31).normalArray(rows * vocab, 3);
    const settings = { temperature: 0.7, topK: 50, topP: 0.9, seed: 77 };
    const tokens = await sampleTokens(gpu, gpu.upload(logits, [rows, vocab]), settings, { step: 1 }).read();
    expect(Array.from(tokens)).toEqual(cpuTokens(logits, rows, settings, 1));
  });

  it('V=1 always gives token 0', async () => {
    const gpu = await testGpu();
    const tokens = await sampleTokens(gpu, gpu.upload([0.5, -3, 7], [3, 1]), { temperature: 1, topK: 1, topP: 0.5, seed: 1 }, { step: 0 }).read();
    expect(Array.from(tokens)).toEqual([0, 0, 0]);
  });
});

describe('sampling limits and statistics', () => {
  it('top-k = 1 and a tiny top-p equal greedy', async () => {
    const gpu = await testGpu();
    const rows = 16;
    const vocab = 523;
    const logits = new Rng(13).normalArray(rows * vocab, 1);
    const logitsGpu = gpu.upload(logits, [rows, vocab]);
    const greedy = Array.from(await sampleTokens(gpu, logitsGpu, { temperature: 0 }, { step: 0 }).read());
    for (const settings of [{ temperature: 1.3, topK: 1, seed: 9 }, { temperature: 1.3, topP: 1e-6, seed: 9 }, { temperature: 0.8, topP: 0, seed: 2 }]) {
      expect(Array.from(await sampleTokens(gpu, logitsGpu, settings, { step: 5 }).read())).toEqual(greedy);
    }
  });

  it('is reproducible from (seed, step, row) and changes with the step', async () => {
    const gpu = await testGpu();
    const rows = 64;
    const vocab = 50;
    const logitsGpu = gpu.upload(new Float32Array(rows * vocab), [rows, vocab]); // uniform distribution
    const settings = { temperature: 1, seed: 42 };
    const a = Array.from(await sampleTokens(gpu, logitsGpu, settings, { step: 3 }).read());
    const b = Array.from(await sampleTokens(gpu, logitsGpu, settings, { step: 3 }).read());
    const c = Array.from(await sampleTokens(gpu, logitsGpu, settings, { step: 4 }).read());
    expect(b).toEqual(a);
    expect(c.filter((t, i) => t === a[i]).length).toBeLessThan(rows / 4); // chance agreement is 1/50
    expect(new Set(a).size).toBeGreaterThan(20); // rows draw independently
  });

  // χ² with 4 degrees of freedom: P(χ² > 18.47) = 0.001. Draws are seeded, so this is deterministic.
  it.each<[string, SamplingSettings]>([
    ['temperature 0.8', { temperature: 0.8, seed: 7 }],
    ['top-k 4, top-p 0.85', { temperature: 1.2, topK: 4, topP: 0.85, seed: 8 }],
  ])('frequencies follow the filtered softmax (%s), 4000 draws in one dispatch', async (_, settings) => {
    const gpu = await testGpu();
    const row = [1.0, -0.5, 0.3, 2.0, 0.0, -1.0];
    const rows = 4000;
    const logits = new Float32Array(rows * row.length).map((_, i) => row[i % row.length]);
    const tokens = await sampleTokens(gpu, gpu.upload(logits, [rows, row.length]), settings, { step: 11 }).read();
    const probs = hfProbabilities(row, settings);
    const degrees = probs.filter((p) => p > 0).length - 1;
    expect(degrees).toBeGreaterThanOrEqual(2);
    const limit = [0, 10.83, 13.82, 16.27, 18.47, 20.52][degrees]; // χ² at p = 0.001
    expect(chiSquare(tokens, probs)).toBeLessThan(limit);
  });

  it('rejects bad shapes and settings, naming the op', async () => {
    const gpu = await testGpu();
    expect(() => sampleTokens(gpu, gpu.zeros([5]), { temperature: 1 }, { step: 0 })).toThrow(/sampleTokens: logits must have rank 2/);
    expect(() => sampleTokens(gpu, gpu.zeros([2, 5]), { temperature: -1 }, { step: 0 })).toThrow(/sampleTokens: temperature must be ≥ 0/);
    expect(() => sampleTokens(gpu, gpu.zeros([2, 5]), [{ temperature: 1 }], { step: 0 })).toThrow(/sampleTokens: settings must be \[2, 5\]/);
  });
});
