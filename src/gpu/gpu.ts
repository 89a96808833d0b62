// The GPU runtime every op launches through: tensors from a buffer pool, a pipeline cache, one
// open command encoder (and compute pass) that dispatches are recorded into, uniform parameters
// packed into one buffer per submit, readback, and error capture between synchronisation points.

import { acquireDevice, type AcquireOptions, type AcquiredDevice } from './device';
import { BufferPool } from './pool';
import { nodePumpSleepMs, PacedWaits } from './pump';
import { elementCount, shapeString, Tensor, type DType, type TypedArrayOf } from './tensor';
import { UniformArena } from './uniforms';

export type Binding = Tensor | GPUBuffer;

export interface DispatchArgs {
  pipeline: GPUComputePipeline;
  /** Bytes of the uniform struct at @binding(0); omit when the entry point has none. */
  params?: ArrayBuffer;
  /** Storage buffers at @binding(1), @binding(2), … in this order. */
  buffers: Binding[];
  /** Workgroup counts; see `grid()` for counts above the per-dimension limit. */
  workgroups: readonly [number, number?, number?];
}

const MAX_WORKGROUPS = 65535;

/** Split a 1-D workgroup count over x and y so no dimension exceeds the limit. */
export function grid(count: number): [number, number] {
  if (count <= MAX_WORKGROUPS) return [Math.max(1, count), 1];
  const y = Math.ceil(count / MAX_WORKGROUPS);
  return [Math.ceil(count / y), y];
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/**
 * The launch of an elementwise kernel over n elements with workgroups of wg: four elements an
 * invocation (the `${entry}_vec4` entry point, on array<vec4<f32>>) when n is a multiple of 4, else
 * one (`entry`). `n` is then the kernel's invocation count. On SwiftShader four an invocation ran
 * SwiGLU's forward 2.6× faster; the shapes of real models are multiples of 4.
 */
export function elementwiseLaunch(n: number, entry: string, wg: number): { entry: string; n: number; workgroups: [number, number]; rowStride: number } {
  const vec4 = n % 4 === 0;
  const invocations = vec4 ? n / 4 : n;
  const workgroups = grid(ceilDiv(invocations, wg));
  return { entry: vec4 ? `${entry}_vec4` : entry, n: invocations, workgroups, rowStride: workgroups[0] * wg };
}

export class Gpu {
  readonly device: GPUDevice;
  readonly pool: BufferPool;
  private pipelines = new Map<string, GPUComputePipeline>();
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniforms: UniformArena;
  private lostReason: string | null = null;
  private dispatchesSinceSync = 0;
  private syncChain: Promise<void> = Promise.resolve();
  private readonly waits: PacedWaits;

  private constructor(readonly info: AcquiredDevice) {
    this.device = info.device;
    this.pool = new BufferPool(this.device, info.limits.maxBufferSize);
    this.uniforms = new UniformArena(this.device);
    this.waits = new PacedWaits(info.host === 'node' ? nodePumpSleepMs(info.adapter.isSoftware) : 0);
    this.device.lost.then((lost) => {
      this.lostReason = `${lost.reason}: ${lost.message}`;
    });
    this.openErrorScopes();
  }

  static async create(options: AcquireOptions = {}): Promise<Gpu> {
    return new Gpu(await acquireDevice(options));
  }

  // ---- tensors ---------------------------------------------------------------------------------

  /** An uninitialised tensor from the pool. */
  empty<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D, label = 'tensor'): Tensor<D> {
    this.checkShape(shape, label);
    const buffer = this.pool.acquire(Math.max(4, elementCount(shape) * 4), label);
    return new Tensor(this, buffer, shape, dtype, label);
  }

  /** A tensor of zeros (cleared on the GPU, in stream order). */
  zeros<D extends DType = 'f32'>(shape: readonly number[], dtype: D = 'f32' as D, label = 'zeros'): Tensor<D> {
    const t = this.empty(shape, dtype, label);
    this.clear(t);
    return t;
  }

  /** Upload host data into a new tensor. */
  upload<D extends DType = 'f32'>(data: ArrayLike<number>, shape: readonly number[], dtype: D = 'f32' as D, label = 'upload'): Tensor<D> {
    if (data.length !== elementCount(shape)) {
      throw new Error(`upload "${label}": ${data.length} values do not fill shape ${shapeString(shape)}.`);
    }
    const t = this.empty(shape, dtype, label);
    this.write(t, data);
    return t;
  }

  /** Overwrite a tensor's contents from the host (ordered after everything recorded so far). */
  write(t: Tensor, data: ArrayLike<number>, elementOffset = 0): void {
    const typed = toTyped(data, t.dtype);
    if (elementOffset + typed.length > t.size) {
      throw new Error(`write "${t.label}": ${typed.length} values at offset ${elementOffset} overflow ${shapeString(t.shape)}.`);
    }
    // queue.writeBuffer runs before commands still being recorded, so submit those first.
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(t.buffer, elementOffset * 4, typed.buffer, typed.byteOffset, typed.byteLength);
  }

  clear(t: Tensor): void {
    this.endPass();
    this.getEncoder().clearBuffer(t.buffer, 0, alignUp(t.byteLength, 4));
  }

  copy(src: Tensor, dst: Tensor, elements = src.size, srcOffset = 0, dstOffset = 0): void {
    if (srcOffset + elements > src.size || dstOffset + elements > dst.size) {
      throw new Error(`copy: ${elements} elements from ${src} at ${srcOffset} to ${dst} at ${dstOffset} are out of range.`);
    }
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src.buffer, srcOffset * 4, dst.buffer, dstOffset * 4, elements * 4);
  }

  /** Read a tensor back to the host. Submits everything recorded so far. */
  async read<D extends DType>(t: Tensor<D>): Promise<TypedArrayOf<D>> {
    const bytes = t.byteLength;
    const staging = this.device.createBuffer({ size: alignUp(bytes, 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
    this.endPass();
    this.getEncoder().copyBufferToBuffer(t.buffer, 0, staging, 0, alignUp(bytes, 4));
    this.flush();
    try {
      await this.waits.wait(staging.mapAsync(GPUMapMode.READ));
      const copy = staging.getMappedRange(0, bytes).slice(0);
      staging.unmap();
      await this.sync();
      const out = t.dtype === 'f32' ? new Float32Array(copy) : t.dtype === 'u32' ? new Uint32Array(copy) : new Int32Array(copy);
      return out as TypedArrayOf<D>;
    } finally {
      staging.destroy();
    }
  }

  // ---- pipelines and dispatch ----------------------------------------------------------------

  /**
   * A compute pipeline for `entryPoint` of a WGSL source, cached. `constants` fill WGSL
   * `override` declarations (workgroup and tile sizes).
   */
  kernel(source: string, entryPoint: string, constants: Record<string, number> = {}): GPUComputePipeline {
    const constKey = Object.entries(constants)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const key = `${entryPoint}|${constKey}|${source}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(source);
      if (!module) {
        module = this.device.createShaderModule({ code: source, label: entryPoint });
        this.modules.set(source, module);
      }
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        label: entryPoint,
        compute: { module, entryPoint, constants },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Record one dispatch into the open compute pass. */
  dispatch(args: DispatchArgs): void {
    this.assertAlive();
    const entries: GPUBindGroupEntry[] = [];
    if (args.params) entries.push({ binding: 0, resource: this.uniforms.push(args.params) });
    args.buffers.forEach((b, i) => {
      if (b instanceof Tensor && b.isReleased) throw new Error(`dispatch ${args.pipeline.label}: ${b} was already destroyed.`);
      entries.push({ binding: i + 1, resource: { buffer: b instanceof Tensor ? b.buffer : b } });
    });
    const bindGroup = this.device.createBindGroup({ layout: args.pipeline.getBindGroupLayout(0), entries });
    const pass = this.getPass();
    pass.setPipeline(args.pipeline);
    pass.setBindGroup(0, bindGroup);
    const [x, y = 1, z = 1] = args.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchesSinceSync++;
  }

  /** Submit everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.uniforms.upload();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.uniforms.recycle();
  }

  /** Submit, wait for the GPU, and throw any validation or out-of-memory error since the last sync. */
  sync(): Promise<void> {
    this.flush();
    // Error scopes are a stack: concurrent callers (two generations at once) take turns.
    const turn = this.syncChain.then(() => this.syncNow());
    this.syncChain = turn.catch(() => undefined);
    return turn;
  }

  private async syncNow(): Promise<void> {
    this.flush();
    await this.waits.wait(this.device.queue.onSubmittedWorkDone());
    const errors = await this.closeErrorScopes();
    this.openErrorScopes();
    this.dispatchesSinceSync = 0;
    if (errors.length) throw new Error(`WebGPU error: ${errors.join(' | ')}`);
    this.assertAlive();
  }

  /**
   * GPU time of the work `record` records, in ms: timestamp queries where the adapter has them,
   * else wall-clock around submit and completion.
   */
  async time(record: () => void): Promise<number> {
    await this.sync();
    if (!this.info.features.timestampQuery) {
      const t0 = performance.now();
      record();
      await this.sync();
      return performance.now() - t0;
    }
    const querySet = this.device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolve = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      this.getEncoder().beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0 } }).end();
      record();
      this.endPass();
      const encoder = this.getEncoder();
      encoder.beginComputePass({ timestampWrites: { querySet, endOfPassWriteIndex: 1 } }).end();
      encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
      this.flush();
      await this.waits.wait(staging.mapAsync(GPUMapMode.READ));
      const [t0, t1] = new BigInt64Array(staging.getMappedRange());
      const ms = Number(t1 - t0) / 1e6;
      staging.unmap();
      await this.sync();
      return ms;
    } finally {
      querySet.destroy();
      resolve.destroy();
      staging.destroy();
    }
  }

  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.pool.trim();
    this.device.destroy();
  }

  /**
   * Invocations per workgroup for a row reduction over rows of `rowLength` elements (one
   * workgroup per row, tree reduction; a power of two). Software adapters run a workgroup's
   * invocations as SIMD lanes of one CPU thread, so every barrier switches between all of them:
   * 4 lanes (the SIMD width) measured fastest on SwiftShader for rows of 64 to 2,048 elements
   * (RMSNorm 1024×128: 4.9 ms at 4, 7.0 at 8, 41 at 32; 512×576: 7.6, 8.9, 21; fused
   * cross-entropy 1024×2048: 46, 58, 70). Hardware GPUs get about four elements per invocation,
   * 32 to 256 invocations.
   */
  reductionWidth(rowLength: number): number {
    if (this.reductionWidthOverride !== null) return this.reductionWidthOverride;
    if (this.info.adapter.isSoftware) return 4;
    let width = 32;
    while (width < 256 && width * 4 < rowLength) width *= 2;
    return width;
  }

  /** Tests: force one reduction width (a power of two) for every row length; null = choose. */
  reductionWidthOverride: number | null = null;

  get pendingDispatches(): number {
    return this.dispatchesSinceSync;
  }

  // ---- internals -----------------------------------------------------------------------------

  private getEncoder(): GPUCommandEncoder {
    this.assertAlive();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private openErrorScopes(): void {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
  }

  private async closeErrorScopes(): Promise<string[]> {
    const validation = await this.waits.wait(this.device.popErrorScope());
    const oom = await this.waits.wait(this.device.popErrorScope());
    const out: string[] = [];
    if (validation) out.push(validation.message);
    if (oom) out.push(`out of GPU memory: ${oom.message}. Use a smaller model, batch or sequence length.`);
    return out;
  }

  private assertAlive(): void {
    if (this.lostReason !== null) {
      throw new Error(`The GPU device was lost (${this.lostReason}). This is usually GPU memory running out: reload and use a smaller model, batch or sequence length.`);
    }
  }

  private checkShape(shape: readonly number[], label: string): void {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor "${label}": invalid shape ${shapeString(shape)}.`);
    }
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function toTyped(data: ArrayLike<number>, dtype: DType): Float32Array | Uint32Array | Int32Array {
  const Ctor = dtype === 'f32' ? Float32Array : dtype === 'u32' ? Uint32Array : Int32Array;
  return data instanceof Ctor ? data : Ctor.from(data as ArrayLike<number>);
}
