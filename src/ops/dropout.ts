// Dropout with a seeded counter-based RNG (used on the LoRA input path):
// forward y = x · keep / (1 − p), backward dx = dy · keep / (1 − p) with the same keep mask,
// regenerated from (seed, offset, element index) rather than stored. Shapes: x, y, dy, dx are
// any shape, treated flat. Callers give every dropout site and step its own `offset` (e.g.
// step · sites + site) and reuse it in the backward. The Philox mapping is in shaders/dropout.wgsl;
// `philox4x32` below is the identical host implementation the CPU reference uses.

import { ceilDiv, grid, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, ShapeError } from './guards';
import source from '../../shaders/dropout.wgsl?raw';

const WG = 256;
const ELEMENTS_PER_INVOCATION = 4; // one Philox call yields four 32-bit words
const TWO_32 = 2 ** 32;

function checkArgs(op: string, p: number, seed: number, offset: number): void {
  if (!(p >= 0 && p < 1)) throw new ShapeError(op, `p must be in [0, 1), got ${p}.`);
  for (const [name, v] of [['seed', seed], ['offset', offset]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_32) throw new ShapeError(op, `${name} must be an integer in [0, 2^32), got ${v}.`);
  }
}

/** Words below this drop their element: round(p · 2³²), so P(keep) = 1 − p. */
export function dropoutThreshold(p: number): number {
  return Math.min(TWO_32 - 1, Math.round(p * TWO_32));
}

function launch(gpu: Gpu, op: string, inputName: string, input: Tensor, p: number, seed: number, offset: number, label: string): Tensor {
  checkArgs(op, p, seed, offset);
  assertDType(op, { [inputName]: input }, 'f32');
  if (input.size >= TWO_32) throw new ShapeError(op, `${inputName}${shapeString(input.shape)} has too many elements for one dispatch.`);
  const out = gpu.empty(input.shape, 'f32', label);
  // p = 0 is the identity: a copy is exact (no x · 1.0 that could flush subnormals) and cheaper.
  if (p === 0 || input.size === 0) {
    if (input.size > 0) gpu.copy(input, out);
    return out;
  }
  const workgroups = grid(ceilDiv(ceilDiv(input.size, ELEMENTS_PER_INVOCATION), WG));
  const rowStride = workgroups[0] * WG;
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'dropout', { WG }),
    params: params().u32(input.size).u32(dropoutThreshold(p)).f32(1 / (1 - p)).u32(seed).u32(offset).u32(rowStride).build(),
    buffers: [input, out],
    workgroups,
  });
  return out;
}

/** x is any shape → y of the same shape, y = x · keep / (1 − p). */
export function dropoutForward(gpu: Gpu, x: Tensor, p: number, seed: number, offset = 0): Tensor {
  return launch(gpu, 'dropoutForward', 'x', x, p, seed, offset, 'dropout.y');
}

/** dy is any shape → dx = dy · keep / (1 − p), with the mask of the forward of the same (p, seed, offset). */
export function dropoutBackward(gpu: Gpu, dy: Tensor, p: number, seed: number, offset = 0): Tensor {
  return launch(gpu, 'dropoutBackward', 'dy', dy, p, seed, offset, 'dropout.dx');
}

// ---- a mask drawn once -------------------------------------------------------------------------------

const BITS_PER_WORD = 32;

/**
 * dropoutForward that also returns its keep mask, u32 (⌈n/32⌉) bits, so the backward and a second
 * use of the dropped input need not draw again. y equals dropoutForward's bit for bit. p in (0, 1).
 */
export function dropoutForwardMasked(gpu: Gpu, x: Tensor, p: number, seed: number, offset = 0): { y: Tensor; mask: Tensor } {
  const op = 'dropoutForwardMasked';
  checkArgs(op, p, seed, offset);
  if (p === 0) throw new ShapeError(op, 'p = 0 draws no mask; skip dropout instead.');
  assertDType(op, { x }, 'f32');
  const mask = dropoutDrawMask(gpu, x.size, p, seed, offset);
  return { y: dropoutApplyMask(gpu, x, mask, p), mask };
}

/**
 * The keep mask of dropoutForward for `elements` elements with the same (p, seed, offset), bit for
 * bit, without y: for a matmul that applies it where it reads the input (`matmul(..., { dropout })`).
 * u32 (⌈elements/32⌉). p in (0, 1).
 */
export function dropoutDrawMask(gpu: Gpu, elements: number, p: number, seed: number, offset = 0, rows?: DropoutRows): Tensor {
  const op = 'dropoutDrawMask';
  checkArgs(op, p, seed, offset);
  if (p === 0) throw new ShapeError(op, 'p = 0 draws no mask; skip dropout instead.');
  if (!Number.isInteger(elements) || elements < 0 || elements >= TWO_32 / 2) throw new ShapeError(op, `elements must be an integer in [0, 2^31), got ${elements}.`);
  if (rows) checkRows(op, elements, rows);
  const mask = gpu.empty([Math.max(1, ceilDiv(elements, BITS_PER_WORD))], 'u32', 'dropout.mask');
  if (elements === 0) return mask;
  const workgroups = grid(ceilDiv(ceilDiv(elements, BITS_PER_WORD), WG));
  const ids = rows?.ids ?? gpu.zeros([1], 'u32', 'dropout.noRows');
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'dropout_draw_bits', { WG }),
    params: params().u32(elements).u32(dropoutThreshold(p)).u32(rows?.width ?? 0).u32(seed).u32(offset).u32(workgroups[0] * WG).build(),
    buffers: [mask, ids],
    workgroups,
  });
  if (!rows) ids.destroy();
  return mask;
}

/**
 * Rows of a tensor laid out differently from the layout a mask is drawn for: element c of row r
 * gets the bit that element ids[r]·width + c of the drawn layout gets. A padding-free batch (its
 * sequences side by side, no padding) passes each token's row in the padded batch, so it trains on
 * the padded batch's masks.
 */
export interface DropoutRows {
  ids: Tensor; // u32 (elements / width)
  width: number; // elements per row, a multiple of 4
}

function checkRows(op: string, elements: number, rows: DropoutRows): void {
  assertDType(op, { ids: rows.ids }, 'u32');
  if (!Number.isInteger(rows.width) || rows.width < 4 || rows.width % 4 !== 0) throw new ShapeError(op, `rows.width must be a positive multiple of 4 (one Philox call's four elements in one row), got ${rows.width}.`);
  if (elements % rows.width !== 0 || rows.ids.size !== elements / rows.width) {
    throw new ShapeError(op, `rows.ids${shapeString(rows.ids.shape)} must hold one row id per ${rows.width} of ${elements} elements.`);
  }
}

function applyMask(gpu: Gpu, op: string, src: Tensor, mask: Tensor, p: number, out: Tensor, accumulate: boolean): void {
  if (!(p > 0 && p < 1)) throw new ShapeError(op, `p must be in (0, 1), got ${p}.`);
  assertDType(op, { src, out }, 'f32');
  assertDType(op, { mask }, 'u32');
  if (mask.size !== Math.max(1, ceilDiv(src.size, BITS_PER_WORD))) {
    throw new ShapeError(op, `mask${shapeString(mask.shape)} does not hold ${src.size} elements' bits (${shapeString(src.shape)}).`);
  }
  if (out.size !== src.size) throw new ShapeError(op, `out${shapeString(out.shape)} must have the size of ${shapeString(src.shape)}.`);
  if (src.size === 0) return;
  const workgroups = grid(ceilDiv(src.size, WG));
  gpu.dispatch({
    pipeline: gpu.kernel(source, 'dropout_apply_bits', { WG }),
    params: params().u32(src.size).u32(accumulate ? 1 : 0).f32(1 / (1 - p)).u32(workgroups[0] * WG).build(),
    buffers: [src, mask, out],
    workgroups,
  });
}

/** x · keep / (1 − p) with a mask from dropoutForwardMasked on x: its y again, without drawing. */
export function dropoutApplyMask(gpu: Gpu, x: Tensor, mask: Tensor, p: number): Tensor {
  const y = gpu.empty(x.shape, 'f32', 'dropout.y');
  applyMask(gpu, 'dropoutApplyMask', x, mask, p, y, false);
  return y;
}

/** dx += dy · keep / (1 − p): the backward of dropoutForwardMasked, added into dx (same size as dy). */
export function dropoutBackwardAccumulate(gpu: Gpu, dy: Tensor, mask: Tensor, p: number, dx: Tensor): void {
  if (dx.buffer === dy.buffer) throw new ShapeError('dropoutBackwardAccumulate', 'dx must not share its buffer with dy.');
  applyMask(gpu, 'dropoutBackwardAccumulate', dy, mask, p, dx, true);
}

// ---- Philox4x32-10 and the CPU reference -------------------------------------------------------------

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

/** (high, low) words of the 64-bit product a · b, from 16-bit pieces exactly as the WGSL does. */
function mulHiLo(a: number, b: number): [number, number] {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const loHi = aLo * bHi;
  const hiLo = aHi * bLo;
  const middle = (loLo >>> 16) + (loHi & 0xffff) + (hiLo & 0xffff);
  const high = (aHi * bHi + (loHi >>> 16) + (hiLo >>> 16) + (middle >>> 16)) >>> 0;
  return [high, Math.imul(a, b) >>> 0];
}

/** Philox4x32 with 10 rounds: four u32 counter words and two key words → four u32 words. */
export function philox4x32(counter: readonly number[], key: readonly number[]): Uint32Array {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const [hi0, lo0] = mulHiLo(PHILOX_M0, c0);
    const [hi1, lo1] = mulHiLo(PHILOX_M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return Uint32Array.from([c0, c1, c2, c3]);
}

/** The keep mask (1 keep, 0 drop) of `n` elements for (p, seed, offset), as the GPU draws it. */
export function dropoutMaskCpu(n: number, p: number, seed: number, offset = 0): Uint8Array {
  checkArgs('dropoutMaskCpu', p, seed, offset);
  const threshold = dropoutThreshold(p);
  const mask = new Uint8Array(n);
  for (let group = 0; group * 4 < n; group++) {
    const words = philox4x32([group, offset, 0, 0], [seed, 0]);
    for (let j = 0; j < 4 && group * 4 + j < n; j++) mask[group * 4 + j] = p === 0 || words[j] >= threshold ? 1 : 0;
  }
  return mask;
}

/** dropoutMaskCpu for rows laid out differently (DropoutRows, ids as numbers). */
export function dropoutMaskRowsCpu(n: number, p: number, seed: number, offset: number, rowIds: ArrayLike<number>, width: number): Uint8Array {
  let drawnRows = 0;
  for (let r = 0; r < rowIds.length; r++) drawnRows = Math.max(drawnRows, rowIds[r] + 1);
  const drawn = dropoutMaskCpu(drawnRows * width, p, seed, offset);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = drawn[rowIds[Math.floor(i / width)] * width + (i % width)];
  return mask;
}

/** y = x · keep / (1 − p) in f64; also the backward, applied to dy. */
export function dropoutForwardCpu(x: ArrayLike<number>, p: number, seed: number, offset = 0): Float64Array {
  const mask = dropoutMaskCpu(x.length, p, seed, offset);
  const scale = 1 / (1 - p);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = mask[i] ? x[i] * scale : 0;
  return y;
}

export const dropoutBackwardCpu = dropoutForwardCpu;
