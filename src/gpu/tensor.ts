import type { Gpu } from './gpu';

export type DType = 'f32' | 'u32' | 'i32';
export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'u32' ? Uint32Array : Int32Array;

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * A GPU buffer with a shape and an element type. Every element is 4 bytes (f32, u32, i32).
 * `destroy()` hands the buffer back to the pool of the Gpu that made it.
 */
export class Tensor<D extends DType = DType> {
  private released = false;

  constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: D,
    readonly label: string,
  ) {}

  /** Number of elements. */
  get size(): number {
    return elementCount(this.shape);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Same storage, another shape with the same element count. */
  view(shape: readonly number[]): Tensor<D> {
    if (elementCount(shape) !== this.size) {
      throw new Error(`Tensor.view: ${this.label} has ${this.size} elements and cannot be viewed as ${shapeString(shape)}.`);
    }
    return new Tensor(this.gpu, this.buffer, shape, this.dtype, this.label);
  }

  read(): Promise<TypedArrayOf<D>> {
    return this.gpu.read(this);
  }

  destroy(): void {
    if (this.released) return;
    this.released = true;
    this.gpu.pool.release(this.buffer);
  }

  toString(): string {
    return `${this.label}${shapeString(this.shape)}:${this.dtype}`;
  }
}
