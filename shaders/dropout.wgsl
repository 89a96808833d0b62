// Dropout with a counter-based RNG: y = x · keep / (1 − p), keep drawn from (seed, offset, index).
// Shapes: x, y (and dy, dx) are any, flat; a keep mask is u32 (⌈n/32⌉), bit i % 32 of word i / 32.
// - dropout: regenerates keep on every call (no mask stored); the backward is the same kernel on dy.
// - dropout_draw_bits: draws keep once, as the mask alone (the matmul applies it as it reads);
//   dropout_apply_bits applies it to an input (y = x·keep/(1−p)) or adds the backward into a
//   gradient (dx += dy·keep/(1−p)) without drawing again: Philox is the costly part on software
//   adapters.
//
// RNG: Philox4x32-10 (Salmon et al., SC'11; the generator of cuRAND and PyTorch), bit-exact with
// Random123's known-answer vectors and with `philox4x32` in src/ops/dropout.ts. Element i uses
// word i mod 4 of Philox(counter = (⌊i/4⌋, offset, 0, 0), key = (seed, 0)); it is kept when that
// word is >= threshold = round(p · 2³²), so P(keep) = 1 − p to within 2⁻³².
// WGSL has no 32×32→64 multiply, so the high word is assembled from 16-bit partial products.

override WG: u32 = 256;

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u; // key schedule increments (golden ratio, √3 − 1)
const PHILOX_W1: u32 = 0xBB67AE85u;

struct Params {
  n: u32,          // element count
  threshold: u32,  // round(p · 2³²): a word below it drops the element
  scale: f32,      // 1 / (1 − p)
  seed: u32,       // Philox key word 0
  offset: u32,     // Philox counter word 1: one value per dropout site and step
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG (one invocation per 4 elements)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// (high, low) words of the 64-bit product a · b, from 16-bit halves: each partial sum below stays
// under 2³² ((2¹⁶−1)² + 2¹⁶ − 1 < 2³²), so no carry is lost and no carry needs testing.
fn mul_hi_lo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let t = a_hi * b_lo + ((a_lo * b_lo) >> 16u);
  let w = a_lo * b_hi + (t & 0xffffu);
  return vec2<u32>(a_hi * b_hi + (t >> 16u) + (w >> 16u), a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) { k += vec2<u32>(PHILOX_W0, PHILOX_W1); }
    let p0 = mul_hi_lo(PHILOX_M0, c.x);
    let p1 = mul_hi_lo(PHILOX_M1, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}

// One invocation per group of 4 elements: one Philox call gives all four words.
@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>) {
  let group = gid.y * p.row_stride + gid.x;
  let first = group * 4u;
  if (first >= p.n) { return; }
  let words = philox4x32_10(vec4<u32>(group, p.offset, 0u, 0u), vec2<u32>(p.seed, 0u));
  for (var j = 0u; j < 4u; j++) {
    let i = first + j;
    if (i < p.n) {
      var value = 0.0;
      if (words[j] >= p.threshold) { value = x[i] * p.scale; }
      y[i] = value;
    }
  }
}

// ---- a keep mask drawn once, as bits --------------------------------------------------------------

// The keep mask as bits, one invocation per 32 elements (eight Philox calls, the same words as
// `dropout` draws): a consumer applies it where it reads x (the matmul's DROP, dropout_apply_bits),
// so a dropped tensor need never be written.
// With width > 0 the tensor's rows are laid out differently from the layout the mask is drawn
// for: element c of row r gets the bit of element row_ids[r]·width + c of the drawn layout (a
// padding-free batch draws the masks of its padded batch, so both train on the same masks).
// width is then a multiple of 4, so the four elements of one Philox call stay in one row.
struct DrawParams {
  n: u32,          // element count
  threshold: u32,
  width: u32,      // elements per row with row_ids; 0: element i is drawn as element i
  seed: u32,
  offset: u32,
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG (one invocation per 32 elements)
}

@group(0) @binding(0) var<uniform> dp: DrawParams;
@group(0) @binding(1) var<storage, read_write> drawn_bits: array<u32>;
@group(0) @binding(2) var<storage, read> row_ids: array<u32>; // (n / width) row of the drawn layout per row; unused without width

@compute @workgroup_size(WG)
fn dropout_draw_bits(@builtin(global_invocation_id) gid: vec3<u32>) {
  let word = gid.y * dp.row_stride + gid.x;
  let first = word * 32u;
  if (first >= dp.n) { return; }
  var bits = 0u;
  for (var g = 0u; g < 8u; g++) {
    let i = first + g * 4u; // four elements of one Philox call
    if (i >= dp.n) { break; }
    var drawn = i;
    if (dp.width != 0u) { drawn = row_ids[i / dp.width] * dp.width + i % dp.width; }
    let words = philox4x32_10(vec4<u32>(drawn / 4u, dp.offset, 0u, 0u), vec2<u32>(dp.seed, 0u));
    for (var j = 0u; j < 4u; j++) {
      if (i + j < dp.n && words[j] >= dp.threshold) { bits |= 1u << (g * 4u + j); }
    }
  }
  drawn_bits[word] = bits;
}

struct ApplyParams {
  n: u32,          // element count
  accumulate: u32, // 0: out = src·keep·scale; 1: out += src·keep·scale
  scale: f32,      // 1 / (1 − p)
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG (one invocation per element)
}

@group(0) @binding(0) var<uniform> ap: ApplyParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn dropout_apply_bits(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * ap.row_stride + gid.x;
  if (i >= ap.n) { return; }
  let keep = (mask[i / 32u] >> (i % 32u)) & 1u;
  var value = 0.0;
  if (keep != 0u) { value = src[i] * ap.scale; }
  if (ap.accumulate != 0u) { dst[i] = dst[i] + value; } else { dst[i] = value; }
}
