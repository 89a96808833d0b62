// Residual add (y = a + b) and in-place accumulation (dst += scale·src).
// Shapes: any; both operands must have the same element count.

import { elementwiseLaunch, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertSameSize, assertDType } from './guards';
import source from '../../shaders/residual.wgsl?raw';

const WG = 256;

/** y = a + b (new tensor, same shape as a). */
export function addForward(gpu: Gpu, a: Tensor, b: Tensor, out?: Tensor): Tensor {
  assertDType('add', { a, b }, 'f32');
  assertSameSize('add', { a, b });
  const y = out ?? gpu.empty(a.shape, 'f32', 'add.y');
  assertSameSize('add', { a, y });
  const l = elementwiseLaunch(a.size, 'add_forward', WG);
  gpu.dispatch({
    pipeline: gpu.kernel(source, l.entry, { WG }),
    params: params().u32(l.n).u32(l.rowStride).f32(1).u32(0).build(),
    buffers: [a, b, y],
    workgroups: l.workgroups,
  });
  return y;
}

/** dst += scale · src, in place. */
export function accumulate(gpu: Gpu, dst: Tensor, src: Tensor, scale = 1): void {
  assertDType('accumulate', { dst, src }, 'f32');
  assertSameSize('accumulate', { dst, src });
  const l = elementwiseLaunch(dst.size, 'accumulate', WG);
  gpu.dispatch({
    pipeline: gpu.kernel(source, l.entry, { WG }),
    params: params().u32(l.n).u32(l.rowStride).f32(scale).u32(0).build(),
    buffers: [src, dst],
    workgroups: l.workgroups,
  });
}

export function addForwardCpu(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

export function accumulateCpu(dst: ArrayLike<number>, src: ArrayLike<number>, scale = 1): Float64Array {
  const y = Float64Array.from(dst);
  for (let i = 0; i < y.length; i++) y[i] += scale * src[i];
  return y;
}
