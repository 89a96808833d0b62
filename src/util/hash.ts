// Small integer hashes shared by training (shuffles, dropout seeds) and inference (sampling seeds).
// The sampling kernel hashes with the same function (shaders/sampling.wgsl).

/** PCG-style 32-bit hash of a u32 (the output permutation of PCG-RXS-M-XS). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * A 64-bit content fingerprint (two independent 32-bit multiply-xor lanes over 32-bit words),
 * fed in pieces. It tells runs apart (same data? same weights?); it is not a cryptographic hash.
 */
export class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x9e3779b9;
  private words = 0;

  /** Add 32-bit words (the bits of f32 or u32 data, or small integers). */
  addWords(words: ArrayLike<number>): this {
    let { a, b } = this;
    for (let i = 0; i < words.length; i++) {
      const w = words[i] >>> 0;
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul((b ^ w) + 0x7f4a7c15, 0x85ebca6b);
      b ^= b >>> 13;
    }
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.words += words.length;
    return this;
  }

  /** Add the bits of f32 values. */
  addFloat32(data: Float32Array): this {
    return this.addWords(new Uint32Array(data.buffer, data.byteOffset, data.length));
  }

  addText(text: string): this {
    const bytes = new TextEncoder().encode(text);
    this.addWords([bytes.length]);
    return this.addWords(bytes);
  }

  /** 16 hex digits; the word count is mixed in, so a prefix never matches the whole. */
  digest(): string {
    const fin = (h: number) => {
      let x = (h ^ this.words) >>> 0;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      return ((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0');
    };
    return fin(this.a) + fin(this.b);
  }
}
