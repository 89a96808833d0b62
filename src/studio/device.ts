// The GPU as hosts acquire it (the CLI, benchmarks and the worker go through the same call).

import { Gpu } from '../gpu/gpu';

export type { Gpu };

/** Acquire the WebGPU device: the browser's, or Dawn's in Node (SwiftShader when no GPU). */
export function acquireGpu(): Promise<Gpu> {
  return Gpu.create();
}
