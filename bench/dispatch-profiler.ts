// Per-dispatch GPU timing: while a DispatchProfiler is recording, every dispatch of the Gpu runs
// in a compute pass of its own with timestamp writes at its beginning and end, and every submit
// is counted. The pass boundaries add a little time of their own, so the profile gives shares and
// per-kernel figures; step times come from unprofiled runs (bench/profile.ts).
//
// It wraps the Gpu instance's `dispatch` and `flush` from outside, so it profiles any version of
// the engine without hooks in it.

import type { DispatchArgs, Gpu } from '../src/gpu/gpu';

const QUERIES_PER_SET = 4096; // maxQuerySetSize in WebGPU

export interface DispatchSample {
  kernel: string; // the entry point (the pipeline's label)
  workgroups: [number, number, number];
  params: Uint32Array | null; // the uniform block's words (u32 view), for shape-aware reports
  ms: number; // GPU time between the pass's begin and end timestamps
  tag: number; // which recording span (e.g. generation step) the dispatch belongs to
}

/** The Gpu's private members the profiler drives (the same object at runtime). */
interface GpuInternals {
  encoder: GPUCommandEncoder | null;
  pass: GPUComputePassEncoder | null;
  endPass(): void;
  getEncoder(): GPUCommandEncoder;
}

export class DispatchProfiler {
  private sets: GPUQuerySet[] = [];
  private pending: Omit<DispatchSample, 'ms'>[] = [];
  private recording = false;
  private submits = 0;
  private restore: () => void;
  /** Set by the caller to group dispatches (e.g. the generation step they belong to). */
  tag = 0;

  constructor(private readonly gpu: Gpu) {
    if (!gpu.info.features.timestampQuery) throw new Error('The profiler needs the timestamp-query feature, which this adapter lacks.');
    const inner = gpu as unknown as GpuInternals;
    const dispatch = gpu.dispatch.bind(gpu);
    const flush = gpu.flush.bind(gpu);
    gpu.dispatch = (args: DispatchArgs) => {
      if (!this.recording) return dispatch(args);
      const index = this.pending.length;
      const set = this.querySet(index);
      inner.endPass();
      const local = (index % (QUERIES_PER_SET / 2)) * 2;
      inner.pass = inner.getEncoder().beginComputePass({ timestampWrites: { querySet: set, beginningOfPassWriteIndex: local, endOfPassWriteIndex: local + 1 } });
      dispatch(args);
      inner.endPass();
      const [x, y = 1, z = 1] = args.workgroups;
      this.pending.push({ kernel: args.pipeline.label, workgroups: [x, y, z], params: args.params ? new Uint32Array(args.params.slice(0)) : null, tag: this.tag });
    };
    gpu.flush = () => {
      if (this.recording && inner.encoder) this.submits++;
      flush();
    };
    this.restore = () => {
      gpu.dispatch = dispatch;
      gpu.flush = flush;
    };
  }

  /** Start recording (after `await gpu.sync()`, so earlier work is not counted). */
  start(): void {
    this.pending = [];
    this.submits = 0;
    this.tag = 0;
    this.recording = true;
  }

  /** Stop, wait for the GPU, and return every dispatch with its time and the submit count. */
  async stop(): Promise<{ samples: DispatchSample[]; submits: number }> {
    this.recording = false;
    const submits = this.submits + (this.pendingEncoder() ? 1 : 0);
    await this.gpu.sync();
    const n = this.pending.length;
    const times = new Float64Array(n);
    for (let s = 0; s * (QUERIES_PER_SET / 2) < n; s++) {
      const first = s * (QUERIES_PER_SET / 2);
      const count = Math.min(QUERIES_PER_SET / 2, n - first) * 2;
      const stamps = await this.resolve(this.sets[s], count);
      for (let i = 0; i < count / 2; i++) times[first + i] = Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6;
    }
    const samples = this.pending.map((p, i) => ({ ...p, ms: times[i] }));
    this.pending = [];
    return { samples, submits };
  }

  destroy(): void {
    this.restore();
    for (const s of this.sets) s.destroy();
    this.sets = [];
  }

  private pendingEncoder(): boolean {
    return (this.gpu as unknown as GpuInternals).encoder !== null;
  }

  private querySet(index: number): GPUQuerySet {
    const s = Math.floor(index / (QUERIES_PER_SET / 2));
    while (this.sets.length <= s) this.sets.push(this.gpu.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET }));
    return this.sets[s];
  }

  private async resolve(set: GPUQuerySet, count: number): Promise<BigInt64Array> {
    const device = this.gpu.device;
    const bytes = count * 8;
    const resolved = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.resolveQuerySet(set, 0, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    resolved.destroy();
    staging.destroy();
    return stamps;
  }
}
