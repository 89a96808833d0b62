// Attention's kernel variants and the shader text for a head size (see attention.ts for the ops):
// which row kernels (forward, dq, dk/dv) and which decode kernel run on this Gpu, chosen per
// adapter and head size D, with overrides for tests and benchmarks.

import type { Gpu } from '../gpu/gpu';
import source from '../../shaders/attention.wgsl?raw';
import smallHeadSource from '../../shaders/attention_small_head.wgsl?raw';

export const ATTENTION_WG = 64; // threads per workgroup, every kernel
const WG = ATTENTION_WG;

/** The shader with HEAD_VEC4S = D/4, which sizes private arrays (WGSL needs a constant there). */
const sources = new Map<number, string>();
export function shaderFor(headDim: number): string {
  let text = sources.get(headDim);
  if (!text) {
    const declaration = 'const HEAD_VEC4S: u32 = 16u;';
    if (!source.includes(declaration)) throw new Error('attention.wgsl: HEAD_VEC4S declaration not found.');
    text = source.replace(declaration, `const HEAD_VEC4S: u32 = ${headDim / 4}u;`);
    sources.set(headDim, text);
  }
  return text;
}

/** The small-head shader with HEAD_MATS = D/16. */
const smallHeadSources = new Map<number, string>();
function smallHeadShaderFor(headDim: number): string {
  let text = smallHeadSources.get(headDim);
  if (!text) {
    const declaration = 'const HEAD_MATS: u32 = 4u;';
    if (!smallHeadSource.includes(declaration)) throw new Error('attention_small_head.wgsl: HEAD_MATS declaration not found.');
    text = smallHeadSource.replace(declaration, `const HEAD_MATS: u32 = ${headDim / 16}u;`);
    smallHeadSources.set(headDim, text);
  }
  return text;
}

export type AttentionRowVariant = 'registers' | 'arrays';

const rowVariants = new WeakMap<Gpu, AttentionRowVariant>();

/**
 * The row kernels (forward, dq, dk/dv) for head size D on this Gpu: 'registers'
 * (attention_small_head.wgsl, head vectors in named matrices) on software adapters when D is 16,
 * 32, 48 or 64; 'arrays' (attention.wgsl, head vectors in private arrays) otherwise.
 */
export function attentionRowVariant(gpu: Gpu, headDim: number): AttentionRowVariant {
  const fits = headDim % 16 === 0 && headDim <= 64;
  if (!fits) return 'arrays';
  return rowVariants.get(gpu) ?? (gpu.info.adapter.isSoftware ? 'registers' : 'arrays');
}

/** Override the choice where D allows it (tests, benchmarks); null restores the adapter's default. */
export function setAttentionRowVariant(gpu: Gpu, variant: AttentionRowVariant | null): void {
  if (variant) rowVariants.set(gpu, variant);
  else rowVariants.delete(gpu);
}

export type RowEntry = 'attention_forward' | 'attention_backward_query' | 'attention_backward_key';

/**
 * Rows of work per thread of a row kernel over `rows` query (or key) rows per head. The
 * 'registers' kernels take two rows of one head, loading each key (or query) once for both: the
 * backward always, the forward when there are two rows to pair (a decode step has one). Same
 * values bit for bit. Node/SwiftShader, one row → two, medians of 5 in two alternations of the
 * two trees: B16 T64 H4 D32 forward 17.4, 17.7 → 15.3, 12.3 ms, backward 46.5, 34.2 → 33.4,
 * 31.3 ms; B4 T128 H9 KV3 D64 forward 72.2, 56.4 → 60.5, 45.8 ms, backward 164.6, 125.2 → 119.3,
 * 102.0 ms.
 */
export function rowsPerThread(gpu: Gpu, entry: RowEntry, headDim: number, rows: number): 1 | 2 {
  if (attentionRowVariant(gpu, headDim) !== 'registers') return 1;
  return entry !== 'attention_forward' || rows >= 2 ? 2 : 1;
}

/** The pipeline of a row kernel in the variant chosen for D, over rowsPerThread rows a thread. */
export function rowKernel(gpu: Gpu, entry: RowEntry, headDim: number, rows: number): GPUComputePipeline {
  if (attentionRowVariant(gpu, headDim) === 'registers') {
    const pair = entry === 'attention_forward' && rowsPerThread(gpu, entry, headDim, rows) === 2;
    return gpu.kernel(smallHeadShaderFor(headDim), `${entry}_small_head${pair ? '_pair' : ''}`, { WG });
  }
  return gpu.kernel(shaderFor(headDim), entry, { WG });
}

export type AttentionDecodeVariant = 'rows' | 'workgroup';

const decodeVariants = new WeakMap<Gpu, AttentionDecodeVariant>();

/** attentionDecode's kernel on this Gpu: 'rows' on software adapters, 'workgroup' on GPUs. */
export function attentionDecodeVariant(gpu: Gpu): AttentionDecodeVariant {
  return decodeVariants.get(gpu) ?? (gpu.info.adapter.isSoftware ? 'rows' : 'workgroup');
}

/** Override the choice (tests, benchmarks); null restores the adapter's default. */
export function setAttentionDecodeVariant(gpu: Gpu, variant: AttentionDecodeVariant | null): void {
  if (variant) decodeVariants.set(gpu, variant);
  else decodeVariants.delete(gpu);
}
