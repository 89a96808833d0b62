// Random model weights for benchmarks: speed does not depend on their values, so no checkpoint
// file is needed.

import type { ModelConfig } from '../src/model/config';
import type { TensorReader } from '../src/model/safetensors';
import { expectedShapes } from '../src/model/weights';
import { Rng } from '../src/util/rng';

/** A TensorReader of random N(0, 0.02) weights (norms 1), so no checkpoint file is needed. */
export function randomReader(cfg: ModelConfig, seed: number): TensorReader {
  const shapes = expectedShapes(cfg);
  const rng = new Rng(seed);
  const names = [...shapes.keys()];
  return {
    names,
    metadata: {},
    has: (n) => shapes.has(n),
    info: (n) => ({ name: n, dtype: 'F32', shape: shapes.get(n)!, file: 'random', byteOffset: 0, byteLength: 0 }),
    read: async () => {
      throw new Error('not used');
    },
    readFloat32: async (n) => {
      const shape = shapes.get(n)!;
      const size = shape.reduce((a, b) => a * b, 1);
      if (n.includes('norm')) return new Float32Array(size).fill(1);
      return rng.normalArray(size, 0.02);
    },
    readInt32: async () => {
      throw new Error('not used');
    },
    close: async () => undefined,
  };
}
