// Token embedding: forward gather (out = table[ids]) and backward scatter-add (dTable[ids] += dy).
// Shapes: ids is (B,T) or (N) u32/i32 with N = B·T, table is (V,C), out and dy are (N,C),
// dTable is (V,C). Out-of-range ids give a zero row forward and no gradient backward (guarded in
// WGSL); `validateTokenIds` checks ids on the host, where the batching code still has them.
// Why the backward needs two passes and no float atomics: see shaders/embedding.wgsl.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, dims, ShapeError } from './guards';
import source from '../../shaders/embedding.wgsl?raw';

const WG = 256;

function launchGrid(invocations: number): { workgroups: [number, number]; rowStride: number } {
  const workgroups = grid(ceilDiv(invocations, WG));
  return { workgroups, rowStride: workgroups[0] * WG };
}

interface EmbeddingShape {
  positions: number; // N = B·T
  vocab: number; // V
  channels: number; // C
}

function checkIds(op: string, ids: Tensor): void {
  if (ids.dtype !== 'u32' && ids.dtype !== 'i32') throw new ShapeError(op, `ids must be u32 or i32, got ${ids.dtype}.`);
  if (ids.shape.length !== 1 && ids.shape.length !== 2) {
    throw new ShapeError(op, `ids must be (B,T) or (N), got ${ids}.`);
  }
}

function guard(op: string, ids: Tensor, table: Tensor): EmbeddingShape {
  checkIds(op, ids);
  assertDType(op, { table }, 'f32');
  const [vocab, channels] = dims(op, 'table', table, 2);
  if (vocab < 1 || channels < 1) throw new ShapeError(op, `table must be non-empty (V,C), got ${table}.`);
  if (ids.size < 1) throw new ShapeError(op, `ids must hold at least one position, got ${ids}.`);
  // The links of the backward keep positions in 31 bits; the grid index must fit u32.
  if (ids.size * channels >= 2 ** 32 || ids.size >= 2 ** 31) {
    throw new ShapeError(op, `ids ${ids} × C=${channels} is too large for one dispatch; split the batch.`);
  }
  return { positions: ids.size, vocab, channels };
}

/** out[n, :] = table[ids[n], :]; ids is (B,T) or (N), table is (V,C), returns (N,C). */
export function embeddingForward(gpu: Gpu, ids: Tensor, table: Tensor, out?: Tensor): Tensor {
  const op = 'embeddingForward';
  const { positions, vocab, channels } = guard(op, ids, table);
  const y = out ?? gpu.empty([positions, channels], 'f32', 'embedding.out');
  assertDType(op, { out: y }, 'f32');
  assertShape(op, 'out', y, [positions, channels]);
  const { workgroups, rowStride } = launchGrid(positions * channels);
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'embedding_forward', { WG }),
    params: params().u32(positions).u32(channels).u32(vocab).u32(rowStride).build(),
    buffers: [ids, table, y],
    workgroups,
  });
  return y;
}

/**
 * dTable[ids[n], :] += dy[n, :] for every position n, race-free and deterministic (repeated ids
 * are summed in ascending position order). ids is (B,T) or (N), dy is (N,C), dTable is (V,C).
 */
export function embeddingBackward(gpu: Gpu, ids: Tensor, dy: Tensor, dTable: Tensor): void {
  const op = 'embeddingBackward';
  const { positions, vocab, channels } = guard(op, ids, dTable);
  assertDType(op, { dy }, 'f32');
  assertShape(op, 'dy', dy, [positions, channels]);
  const links = gpu.empty([positions], 'u32', 'embedding.links');
  const perPosition = launchGrid(positions);
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'embedding_links', { WG }),
    params: params().u32(positions).u32(channels).u32(vocab).u32(perPosition.rowStride).build(),
    buffers: [ids, links],
    workgroups: perPosition.workgroups,
  });
  const perElement = launchGrid(positions * channels);
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'embedding_backward', { WG }),
    params: params().u32(positions).u32(channels).u32(vocab).u32(perElement.rowStride).build(),
    buffers: [ids, links, dy, dTable],
    workgroups: perElement.workgroups,
  });
  // Released buffers are reused only after the next submit, which comes after these dispatches.
  links.destroy();
}

/** Throw, naming the first bad position, unless every id is an integer in [0, V). */
export function validateTokenIds(ids: ArrayLike<number>, vocab: number, op = 'embedding'): void {
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new ShapeError(op, `token id ${id} at position ${n} is outside the vocabulary [0, ${vocab}). Check that the tokenizer matches the model.`);
    }
  }
}

// ---- CPU reference (f64) ---------------------------------------------------------------------------

function inVocab(id: number, vocab: number): boolean {
  return Number.isInteger(id) && id >= 0 && id < vocab;
}

/** ids is (N), table is (V,C) → (N,C); out-of-range ids give zero rows. */
export function embeddingForwardCpu(ids: ArrayLike<number>, table: ArrayLike<number>, vocab: number, channels: number): Float64Array {
  const out = new Float64Array(ids.length * channels);
  for (let n = 0; n < ids.length; n++) {
    if (!inVocab(ids[n], vocab)) continue;
    for (let c = 0; c < channels; c++) out[n * channels + c] = table[ids[n] * channels + c];
  }
  return out;
}

/** dTable (V,C) + scatter of dy (N,C) by ids (N); out-of-range ids are dropped. Returns a new array. */
export function embeddingBackwardCpu(ids: ArrayLike<number>, dy: ArrayLike<number>, dTable: ArrayLike<number>, channels: number): Float64Array {
  const vocab = dTable.length / channels;
  const out = Float64Array.from(dTable);
  for (let n = 0; n < ids.length; n++) {
    if (!inVocab(ids[n], vocab)) continue;
    for (let c = 0; c < channels; c++) out[ids[n] * channels + c] += dy[n * channels + c];
  }
  return out;
}
