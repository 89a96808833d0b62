// Exact conversions between 16-bit floats (IEEE f16, bfloat16) and f32, on raw bit patterns.
// Widening is exact for every pattern (subnormals, ±0, ±inf, NaN payloads); narrowing rounds to
// nearest, ties to even, as PyTorch's .half() / .bfloat16() do.

let f16Table: Float32Array | null = null;

/** The f32 value of one f16 bit pattern, computed from the fields (the table below is built from it). */
export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals: no implicit 1
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** 65536-entry f16 → f32 table (256 KiB, built once): one lookup per element for large tensors. */
function f16ToF32Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  const tableBits = new Uint32Array(table.buffer);
  for (let bits = 0; bits < 65536; bits++) {
    if (((bits >> 10) & 0x1f) === 31 && (bits & 0x3ff) !== 0) {
      // NaN: keep sign and payload (quiet bit included) by placing the mantissa in f32's top bits.
      tableBits[bits] = ((bits & 0x8000) << 16) | 0x7f800000 | ((bits & 0x3ff) << 13);
    } else {
      table[bits] = f16BitsToNumber(bits);
    }
  }
  f16Table = table;
  return table;
}

/** f16 bit patterns (n) → f32 values (n). */
export function f16ToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const table = f16ToF32Table();
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** bfloat16 bit patterns (n) → f32 values (n): bf16 is the top half of an f32, so this is a shift. */
export function bf16ToF32(bits: Uint16Array, out = new Float32Array(bits.length)): Float32Array {
  const outBits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/** f32 values (n) → f16 bit patterns (n), round to nearest even; overflow gives ±inf. */
export function f32ToF16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32BitsToF16Bits(inBits[i]);
  return out;
}

export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 | (mantissa >>> 13) : 0); // inf, quiet NaN
  const e = exponent - 127 + 15; // f16 biased exponent
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // f16 subnormal (or zero): the value in units of 2^-24 is the 24-bit significand >> (14 - e).
    const shift = 14 - e;
    if (shift > 24) return sign; // below half the smallest subnormal
    const significand = mantissa | 0x800000;
    return sign | roundShift(significand, shift);
  }
  // Normal: a carry out of the mantissa correctly bumps the exponent (and reaches inf at the top).
  return sign | roundShift((e << 23) | mantissa, 13);
}

/** value >> shift, rounded to nearest with ties to even (0 ≤ value < 2^31, 1 ≤ shift ≤ 24). */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

/** f32 values (n) → bfloat16 bit patterns (n), round to nearest even; NaN stays NaN. */
export function f32ToBf16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const inBits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const x = inBits[i];
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) out[i] = (x >>> 16) | 0x40; // keep NaN quiet
    else {
      const kept = x >>> 16;
      const rest = x & 0xffff;
      out[i] = rest > 0x8000 || (rest === 0x8000 && kept & 1) ? kept + 1 : kept; // carry may reach inf: correct
    }
  }
  return out;
}
