// The linear layer on the matmul, with Hugging Face's [out, in] weights:
//   forward   y = x·Wᵀ + b
//   backward  dx = dy·W, dW += dyᵀ·x, db += Σ_rows dy (column_sum_accumulate in gemv.wgsl)

import { ceilDiv, type Gpu } from '../gpu/gpu';
import { shapeString, type Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertShape, ShapeError } from './guards';
import { matmul, matmulCpu, type MatmulDropout, type MatmulExtra } from './matmul';
import gemvSource from '../../shaders/gemv.wgsl?raw';

const COLUMN_SUM_WG = 64;

/** Leading dims of x flattened: x is (..., inFeatures) → rows. */
function linearRows(op: string, x: Tensor, w: Tensor): { rows: number; inFeatures: number; outFeatures: number } {
  if (w.shape.length !== 2) throw new ShapeError(op, `weight must be (out, in), got w${shapeString(w.shape)}.`);
  const [outFeatures, inFeatures] = w.shape;
  if (x.shape.length < 1 || x.shape[x.shape.length - 1] !== inFeatures) {
    throw new ShapeError(op, `x must end in in=${inFeatures}: x${shapeString(x.shape)}, w${shapeString(w.shape)}.`);
  }
  return { rows: x.size / inFeatures, inFeatures, outFeatures };
}

/** y = x·Wᵀ + b. x is (..., in), w is (out, in), bias is (out); y is (..., out). */
export function linearForward(gpu: Gpu, x: Tensor, w: Tensor, bias?: Tensor, out?: Tensor): Tensor {
  const { rows, inFeatures, outFeatures } = linearRows('linearForward', x, w);
  const yShape = [...x.shape.slice(0, -1), outFeatures];
  if (out && out.size !== rows * outFeatures) throw new ShapeError('linearForward', `out must be ${shapeString(yShape)}, got ${shapeString(out.shape)}.`);
  const y = matmul(gpu, x.view([rows, inFeatures]), w, { transB: true, bias, out: out?.view([rows, outFeatures]) });
  return out ?? y.view(yShape);
}

export interface LinearBackwardOptions {
  dx?: Tensor; // (..., in): write dx here instead of a new tensor
  accumulateDx?: boolean; // dx += dy·W (needs `dx`), e.g. several layers reading one input
  dxExtra?: MatmulExtra; // a second pair added into dx in the same product: dx = dy·W + s·A2·B2 (A2 (rows,K2), B2 (K2,in))
  dxExtraDropout?: Omit<MatmulDropout, 'on'>; // a kept mask over dx's elements scaling the pair's part alone (LoRA's drop⁻¹)
}

/**
 * Backward of y = x·Wᵀ + b. x is (..., in), w is (out, in), dy is (..., out). Returns dx
 * (..., in) = dy·W; accumulates dW += dyᵀ·x into dw (out, in) and db += Σ_rows dy into db (out)
 * when given (frozen weights pass neither).
 */
export function linearBackward(gpu: Gpu, x: Tensor, w: Tensor, dy: Tensor, dw?: Tensor, db?: Tensor, opts: LinearBackwardOptions = {}): Tensor {
  const op = 'linearBackward';
  const { rows, inFeatures, outFeatures } = linearRows(op, x, w);
  if (dy.size !== rows * outFeatures || dy.shape[dy.shape.length - 1] !== outFeatures) {
    throw new ShapeError(op, `dy must be ${shapeString([...x.shape.slice(0, -1), outFeatures])}, got dy${shapeString(dy.shape)} (x${shapeString(x.shape)}, w${shapeString(w.shape)}).`);
  }
  if (dw) assertShape(op, 'dw', dw, w.shape);
  if (db) assertShape(op, 'db', db, [outFeatures]);
  if (opts.accumulateDx && !opts.dx) throw new ShapeError(op, 'accumulateDx needs dx to add into.');
  if (opts.dx && opts.dx.size !== x.size) throw new ShapeError(op, `dx must be ${shapeString(x.shape)}, got ${shapeString(opts.dx.shape)}.`);
  const dy2 = dy.view([rows, outFeatures]);
  const x2 = x.view([rows, inFeatures]);
  const dropout = opts.dxExtraDropout ? { ...opts.dxExtraDropout, on: 'extra' as const } : undefined;
  const dx = matmul(gpu, dy2, w, { out: opts.dx?.view([rows, inFeatures]), accumulate: opts.accumulateDx, extra: opts.dxExtra, dropout });
  if (dw) matmul(gpu, dy2, x2, { transA: true, accumulate: true, out: dw });
  if (db && rows > 0 && outFeatures > 0) {
    assertDType(op, { db }, 'f32');
    gpu.dispatch({
      pipeline: gpu.kernel(gemvSource, 'column_sum_accumulate', { WG: COLUMN_SUM_WG }),
      params: params().u32(rows).u32(outFeatures).build(),
      buffers: [dy2, db],
      workgroups: [ceilDiv(outFeatures, COLUMN_SUM_WG)],
    });
  }
  return opts.dx ?? dx.view(x.shape);
}

// ---- CPU references (f64) --------------------------------------------------------------------

/** f64 reference of `linearForward`: x is (rows, in), w is (out, in), bias (out); y is (rows, out). */
export function linearForwardCpu(x: ArrayLike<number>, w: ArrayLike<number>, rows: number, inFeatures: number, outFeatures: number, bias?: ArrayLike<number>): Float64Array {
  return matmulCpu(x, [rows, inFeatures], w, [outFeatures, inFeatures], { transB: true, bias });
}

/** f64 reference of `linearBackward`: dx (rows, in), dw (out, in) and db (out) from dy (rows, out). */
export function linearBackwardCpu(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dy: ArrayLike<number>,
  rows: number,
  inFeatures: number,
  outFeatures: number,
): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = matmulCpu(dy, [rows, outFeatures], w, [outFeatures, inFeatures]);
  const dw = matmulCpu(dy, [rows, outFeatures], x, [rows, inFeatures], { transA: true });
  const db = new Float64Array(outFeatures);
  for (let r = 0; r < rows; r++) for (let j = 0; j < outFeatures; j++) db[j] += dy[r * outFeatures + j];
  return { dx, dw, db };
}
