// Uniform parameters for all dispatches of one submit live in one arena: each dispatch takes a
// 256-byte-aligned slot, and the arena is written with one writeBuffer just before submit.

const SLOT = 256; // minUniformBufferOffsetAlignment on every adapter we know
const CHUNK_SLOTS = 256; // 64 KiB = maxUniformBufferBindingSize default; one chunk per buffer

interface Chunk {
  buffer: GPUBuffer;
  staging: Uint8Array<ArrayBuffer>;
  used: number; // slots used
}

export class UniformArena {
  private chunks: Chunk[] = [];
  private active = 0;

  constructor(private readonly device: GPUDevice) {}

  /** Reserve a slot for `bytes` and return its binding. */
  push(bytes: ArrayBuffer): GPUBufferBinding {
    if (bytes.byteLength > SLOT) throw new Error(`Uniform block of ${bytes.byteLength} bytes exceeds ${SLOT}.`);
    let chunk = this.chunks[this.active];
    if (chunk && chunk.used === CHUNK_SLOTS) chunk = this.chunks[++this.active];
    if (!chunk) {
      chunk = {
        buffer: this.device.createBuffer({ size: SLOT * CHUNK_SLOTS, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniforms' }),
        staging: new Uint8Array(SLOT * CHUNK_SLOTS),
        used: 0,
      };
      this.chunks.push(chunk);
    }
    const offset = chunk.used * SLOT;
    chunk.staging.set(new Uint8Array(bytes), offset);
    chunk.used++;
    return { buffer: chunk.buffer, offset, size: Math.max(16, alignTo16(bytes.byteLength)) };
  }

  /** Write the used part of every chunk; call right before submit. */
  upload(): void {
    for (let i = 0; i <= this.active && i < this.chunks.length; i++) {
      const c = this.chunks[i];
      if (c.used > 0) this.device.queue.writeBuffer(c.buffer, 0, c.staging, 0, c.used * SLOT);
    }
  }

  /** After submit the chunks may be rewritten: queue writes are ordered after the submit. */
  recycle(): void {
    for (const c of this.chunks) c.used = 0;
    this.active = 0;
  }
}

function alignTo16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/** Builder for a uniform struct of u32/i32/f32 fields, 4 bytes each, in declaration order. */
export class Params {
  private view: DataView<ArrayBuffer>;
  private offset = 0;

  constructor(capacity = 64) {
    this.view = new DataView(new ArrayBuffer(capacity * 4));
  }

  u32(v: number): this {
    this.view.setUint32(this.offset, v >>> 0, true);
    this.offset += 4;
    return this;
  }

  i32(v: number): this {
    this.view.setInt32(this.offset, v | 0, true);
    this.offset += 4;
    return this;
  }

  f32(v: number): this {
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
    return this;
  }

  /** The bytes, padded to 16 (uniform struct size rule). */
  build(): ArrayBuffer {
    return this.view.buffer.slice(0, Math.max(16, alignTo16(this.offset)));
  }
}

export function params(): Params {
  return new Params();
}
