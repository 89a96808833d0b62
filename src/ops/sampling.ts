// Next-token sampling on the GPU: greedy, temperature, top-k, top-p, seeded and reproducible.
// Shapes: logits is (B,V) f32 (finite, or -inf for masked tokens), the result is (B) u32, the
// only thing generation reads back. See shaders/sampling.wgsl for the method: thresholds by
// bisection over order-preserving u32 keys of the logits (exact for top-k; top-p exact up to the
// f32 sums of probabilities), then an inverse-CDF draw in index order.
//
// Randomness is counter-based: the draw of row r at generation step s with seed q is
// samplingUniform(q, s, r), the same on the GPU and here, so sampleCpu reproduces the GPU's
// choice from the same draw (up to f32 rounding when the draw falls within ~1e-6 of a boundary
// of the cumulative distribution, or a top-p mass lies that close to top_p).

import { grid, type Gpu } from '../gpu/gpu';
import { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, dims, ShapeError } from './guards';
import source from '../../shaders/sampling.wgsl?raw';
import { pcgHash } from '../util/hash';

export interface SamplingSettings {
  temperature: number; // 0 → greedy (argmax, ties → lowest index); e.g. 0.7
  topK?: number; // 0 or ≥ V → off; keeps tokens with logit ≥ the k-th largest (ties kept)
  topP?: number; // ≥ 1 → off; nucleus as Hugging Face's TopPLogitsWarper, after top-k
  seed?: number; // u32; with the step and the row's place it fixes the random draw
  place?: number; // per-row settings: the row index the draw is keyed by (default: the row's own), so a row batched with others draws as it would at that place of a smaller batch
}

const SETTINGS_WORDS = 5; // RowSettings in WGSL: temperature f32, top_k u32, top_p f32, seed u32, place u32

function checkSettings(s: SamplingSettings, where: string): void {
  if (!(s.temperature >= 0) || !Number.isFinite(s.temperature)) throw new ShapeError('sampleTokens', `${where}temperature must be ≥ 0, got ${s.temperature}.`);
  const k = s.topK ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new ShapeError('sampleTokens', `${where}topK must be an integer ≥ 0, got ${k}.`);
  if (Number.isNaN(s.topP ?? 1)) throw new ShapeError('sampleTokens', `${where}topP is NaN.`);
  if (s.place !== undefined && !(Number.isInteger(s.place) && s.place >= 0 && s.place <= 0xffffffff)) throw new ShapeError('sampleTokens', `${where}place must be a u32 row index, got ${s.place}.`);
}

/**
 * Per-row settings packed for the GPU: a (B,4) u32 tensor. Build it once per generation and
 * pass it to every step's sampleTokens (settings do not change between steps).
 */
export function samplingSettingsTensor(gpu: Gpu, rows: readonly SamplingSettings[]): Tensor<'u32'> {
  const words = new Uint32Array(rows.length * SETTINGS_WORDS);
  const view = new DataView(words.buffer);
  rows.forEach((s, r) => {
    checkSettings(s, `row ${r}: `);
    const at = r * SETTINGS_WORDS * 4;
    view.setFloat32(at, s.temperature, true);
    view.setUint32(at + 4, s.topK ?? 0, true);
    view.setFloat32(at + 8, s.topP ?? 1, true);
    view.setUint32(at + 12, (s.seed ?? 0) >>> 0, true);
    view.setUint32(at + 16, s.place ?? r, true);
  });
  return gpu.upload(words, [rows.length, SETTINGS_WORDS], 'u32', 'sampling.settings');
}

function workgroupSize(gpu: Gpu, vocab: number): number {
  // Small vocabularies waste most of a wide workgroup; software adapters want narrow ones anyway.
  return Math.min(gpu.reductionWidth(vocab), vocab >= 4096 ? 256 : vocab >= 256 ? 64 : 32);
}

/**
 * One token per row of logits (B,V) → (B) u32. `settings` is shared by all rows, or a (B,4)
 * tensor from samplingSettingsTensor, or one SamplingSettings per row (uploaded each call).
 * `step` is the generation step (part of the random counter).
 */
export function sampleTokens(
  gpu: Gpu,
  logits: Tensor,
  settings: SamplingSettings | readonly SamplingSettings[] | Tensor,
  options: { step: number; out?: Tensor },
): Tensor {
  const op = 'sampleTokens';
  assertDType(op, { logits }, 'f32');
  const [rows, vocab] = dims(op, 'logits', logits, 2);
  if (vocab < 1) throw new ShapeError(op, `logits[${rows}, ${vocab}] has an empty vocabulary.`);
  if (!Number.isInteger(options.step) || options.step < 0) throw new ShapeError(op, `step must be an integer ≥ 0, got ${options.step}.`);
  const tokens = options.out ?? gpu.empty([rows], 'u32', 'sampling.tokens');
  assertDType(op, { tokens }, 'u32');
  assertShape(op, 'out', tokens, [rows]);
  if (rows === 0) return tokens;
  const WG = workgroupSize(gpu, vocab);
  const workgroups = grid(rows);
  const uniforms = params().u32(rows).u32(vocab).u32(options.step >>> 0).u32(workgroups[0]);
  if (Array.isArray(settings) || settings instanceof Tensor) {
    const perRow = settings instanceof Tensor ? settings : samplingSettingsTensor(gpu, settings);
    assertDType(op, { settings: perRow }, 'u32');
    assertShape(op, 'settings', perRow, [rows, SETTINGS_WORDS]);
    gpu.dispatch({
      pipeline: gpu.kernel(source, 'sample_per_row', { WG }),
      params: uniforms.f32(0).u32(0).f32(1).u32(0).build(),
      buffers: [logits, tokens, perRow],
      workgroups,
    });
    if (perRow !== settings) perRow.destroy();
    return tokens;
  }
  const s = settings as SamplingSettings;
  checkSettings(s, '');
  if (s.place !== undefined) throw new ShapeError(op, 'place names a row\'s draw in per-row settings; shared settings draw each row at its own index.');
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'sample_shared', { WG }),
    params: uniforms.f32(s.temperature).u32(s.topK ?? 0).f32(s.topP ?? 1).u32((s.seed ?? 0) >>> 0).build(),
    buffers: [logits, tokens],
    workgroups,
  });
  return tokens;
}

// ---- the random draw, shared with the shader (pcgHash: src/util/hash.ts) -------------------------

/** The uniform draw in [0, 1) (24 bits) of the row at `place` (its index, unless its settings name another) at step `step` with seed `seed`. */
export function samplingUniform(seed: number, step: number, place: number): number {
  const h = pcgHash((pcgHash((pcgHash(seed) + step) >>> 0) + place) >>> 0);
  return (h >>> 8) / 16777216;
}

// ---- CPU reference (f64) -------------------------------------------------------------------------

const keyView = new DataView(new ArrayBuffer(4));

/** The shader's order-preserving u32 key of an f32 value (-0 maps with +0). */
export function logitKey(x: number): number {
  keyView.setFloat32(0, x, true);
  let bits = keyView.getUint32(0, true);
  if (bits === 0x80000000) bits = 0;
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * The token sampleTokens picks for one row of logits (V), given its uniform draw u in [0, 1)
 * (samplingUniform(seed, step, row)). Same filters, same thresholds, same index-order CDF.
 */
export function sampleCpu(logits: ArrayLike<number>, settings: SamplingSettings, u: number): number {
  const vocab = logits.length;
  const x = Float32Array.from(logits); // the GPU sees f32
  if (settings.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < vocab; i++) if (x[i] > x[best]) best = i;
    return best;
  }
  const t = Math.fround(settings.temperature);
  const keys = Array.from(x, logitKey);
  let m = -3.0e38;
  for (let i = 0; i < vocab; i++) m = Math.max(m, x[i]);
  const w = Array.from(x, (xi) => Math.exp((xi - m) / t));

  let threshold = 0; // keep key ≥ threshold
  const k = settings.topK ?? 0;
  if (k > 0 && k < vocab) {
    // The k-th largest key: count(key > it) < k, and no smaller key has that property.
    threshold = [...keys].sort((a, b) => b - a)[k - 1];
  }
  const topP = Math.fround(settings.topP ?? 1);
  if (topP < 1) {
    let keptMass = 0;
    for (let i = 0; i < vocab; i++) if (keys[i] >= threshold) keptMass += w[i];
    const limit = topP * keptMass;
    // Walk the kept tokens from the highest logit down: a token stays while the mass strictly
    // above it is < limit; tied tokens share the mass above them.
    const order = keys.map((key, i) => ({ key, i })).filter((e) => e.key >= threshold).sort((a, b) => b.key - a.key);
    let above = 0;
    let j = 0;
    let cut = order[0].key;
    while (j < order.length) {
      const key = order[j].key;
      if (!(above < limit) && j > 0) break;
      cut = key;
      while (j < order.length && order[j].key === key) above += w[order[j++].i];
    }
    threshold = cut;
  }
  let total = 0;
  for (let i = 0; i < vocab; i++) if (keys[i] >= threshold) total += w[i];
  const target = u * total;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < vocab; i++) {
    if (keys[i] < threshold) continue;
    last = i;
    cumulative += w[i];
    if (cumulative > target) return i;
  }
  return last;
}
