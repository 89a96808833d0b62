// Shape and dtype guards shared by the op launchers. Every error names the op and the shapes.

import { shapeString, type DType, type Tensor } from '../gpu/tensor';

export class ShapeError extends Error {
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'ShapeError';
  }
}

function describe(tensors: Record<string, Tensor>): string {
  return Object.entries(tensors)
    .map(([name, t]) => `${name}${shapeString(t.shape)}`)
    .join(', ');
}

export function assertDType(op: string, tensors: Record<string, Tensor>, dtype: DType): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.dtype !== dtype) throw new ShapeError(op, `${name} must be ${dtype}, got ${t.dtype}.`);
  }
}

export function assertSameSize(op: string, tensors: Record<string, Tensor>): void {
  const sizes = Object.values(tensors).map((t) => t.size);
  if (sizes.some((s) => s !== sizes[0])) throw new ShapeError(op, `element counts differ: ${describe(tensors)}.`);
}

/** Check that `t` has rank `rank` and return its dims. */
export function dims(op: string, name: string, t: Tensor, rank: number): number[] {
  if (t.shape.length !== rank) throw new ShapeError(op, `${name} must have rank ${rank}, got ${shapeString(t.shape)}.`);
  return [...t.shape];
}

/** Check that `t` has exactly `shape`. */
export function assertShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, `${name} must be ${shapeString(shape)}, got ${shapeString(t.shape)}.`);
  }
}

export function assertPositive(op: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < 1) throw new ShapeError(op, `${name} must be a positive integer, got ${v}.`);
  }
}
