// SwiGLU gating of the Llama MLP: h = silu(gate) · up, silu(g) = g·σ(g), elementwise.
// Shapes: gate, up, h, dh, dGate, dUp are (N,F) (N = B·T rows, F feed-forward size); any shape
// with equal element counts is accepted, outputs take gate's shape.

import { elementwiseLaunch, type Gpu } from '../gpu/gpu';
import type { Tensor } from '../gpu/tensor';
import { params } from '../gpu/uniforms';
import { assertDType, assertSameSize } from './guards';
import source from '../../shaders/swiglu.wgsl?raw';

const WG = 256;

/** gate and up are (N,F) → h (N,F). */
export function swigluForward(gpu: Gpu, gate: Tensor, up: Tensor, out?: Tensor): Tensor {
  const op = 'swigluForward';
  assertDType(op, { gate, up }, 'f32');
  assertSameSize(op, { gate, up });
  const h = out ?? gpu.empty(gate.shape, 'f32', 'swiglu.h');
  assertDType(op, { out: h }, 'f32');
  assertSameSize(op, { gate, out: h });
  const l = elementwiseLaunch(gate.size, 'swiglu_forward', WG);
  gpu.dispatch({
    pipeline: gpu.kernel(source, l.entry, { WG }),
    params: params().u32(l.n).u32(l.rowStride).build(),
    buffers: [gate, up, h],
    workgroups: l.workgroups,
  });
  return h;
}

/** gate, up, dh are (N,F) → dGate, dUp (N,F), written (not accumulated). */
export function swigluBackward(gpu: Gpu, gate: Tensor, up: Tensor, dh: Tensor): { dGate: Tensor; dUp: Tensor } {
  const op = 'swigluBackward';
  assertDType(op, { gate, up, dh }, 'f32');
  assertSameSize(op, { gate, up, dh });
  const dGate = gpu.empty(gate.shape, 'f32', 'swiglu.dGate');
  const dUp = gpu.empty(gate.shape, 'f32', 'swiglu.dUp');
  const l = elementwiseLaunch(gate.size, 'swiglu_backward', WG);
  gpu.dispatch({
    pipeline: gpu.kernel(source, l.entry, { WG }),
    params: params().u32(l.n).u32(l.rowStride).build(),
    buffers: [gate, up, dh, dGate, dUp],
    workgroups: l.workgroups,
  });
  return { dGate, dUp };
}

// ---- CPU reference (f64) ---------------------------------------------------------------------------

function sigmoid(g: number): number {
  return g >= 0 ? 1 / (1 + Math.exp(-g)) : Math.exp(g) / (1 + Math.exp(g));
}

export function swigluForwardCpu(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const h = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) h[i] = gate[i] * sigmoid(gate[i]) * up[i];
  return h;
}

export function swigluBackwardCpu(gate: ArrayLike<number>, up: ArrayLike<number>, dh: ArrayLike<number>): { dGate: Float64Array; dUp: Float64Array } {
  const dGate = new Float64Array(gate.length);
  const dUp = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dGate[i] = dh[i] * up[i] * s * (1 + g * sigmoid(-g));
    dUp[i] = dh[i] * g * s;
  }
  return { dGate, dUp };
}
