// Buffer pool: storage buffers are recycled by size class so a training step allocates nothing
// after its first run. A released buffer is reusable at once, even by commands recorded into the
// same encoder: GPU commands run in order. The one thing that runs out of order is
// queue.writeBuffer, and Gpu.write() submits pending commands before it writes.

/** Size classes: powers of two up to 1 MiB, then multiples of 1 MiB (bounded waste). */
export function sizeClass(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const MiB = 1 << 20;
  if (bytes <= MiB) return 2 ** Math.ceil(Math.log2(bytes));
  return Math.ceil(bytes / MiB) * MiB;
}

export interface PoolStats {
  allocatedBytes: number; // bytes held by live and pooled buffers
  liveBytes: number; // bytes handed out and not yet released
  peakLiveBytes: number; // the most bytes handed out at once since the last resetPeak()
  buffers: number; // buffers created so far
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private live = new Set<GPUBuffer>();
  private stats: PoolStats = { allocatedBytes: 0, liveBytes: 0, peakLiveBytes: 0, buffers: 0 };
  private readonly usage: number;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {
    this.usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  }

  acquire(bytes: number, label: string): GPUBuffer {
    if (bytes > this.maxBufferSize) {
      throw new Error(
        `Buffer "${label}" needs ${bytes} bytes but this GPU allows at most ${this.maxBufferSize} bytes per buffer. ` +
          'Use a smaller model, batch or sequence length.',
      );
    }
    const size = Math.min(sizeClass(bytes), this.maxBufferSize);
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({ size, usage: this.usage, label });
      this.stats.allocatedBytes += size;
      this.stats.buffers++;
    }
    this.live.add(buffer);
    this.stats.liveBytes += size;
    this.stats.peakLiveBytes = Math.max(this.stats.peakLiveBytes, this.stats.liveBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    this.stats.liveBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
  }

  /** Destroy pooled (not live) buffers, e.g. after loading a model. */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.stats.allocatedBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
  }

  /** Start measuring the peak from what is live now. */
  resetPeak(): void {
    this.stats.peakLiveBytes = this.stats.liveBytes;
  }

  get statistics(): PoolStats {
    return { ...this.stats };
  }
}
