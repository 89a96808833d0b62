// Batched matrix multiply: C = alpha·op(A)·op(B) (+ bias) (+ C when accumulating).
//
// Shapes, row-major with the batch first (z of the dispatch grid):
//   A is (Bt,M,K), or (Bt,K,M) when TRANS_A
//   B is (Bt,K,N), or (Bt,N,K) when TRANS_B (Hugging Face's [out,in] weights: y = x·Wᵀ)
//   C is (Bt,M,N); bias is (N), added to every row
// A batch stride of 0 shares an operand over the batch (one weight for every sequence).
//
// Three kernels; src/ops/matmul.ts picks one per adapter and shape:
// - matmul_register_tile: each thread keeps a 16×16 block of C in 64 named vec4 accumulators and
//   reads both operands as vec4s. Fastest on software adapters (SwiftShader runs invocations as
//   SIMD lanes on a CPU; workgroup memory and barriers only add copies there). Needs the vec4
//   dimension of each operand (K, or M when TRANS_A, or N when B is (K,N)) to be a multiple of
//   4, and K too. For TN (the weight gradient over any token count) the launcher runs the last
//   K % 4 rows as a second, accumulating matmul_simple dispatch (a masked last step in this loop
//   measured 6-8% slower). matmul_register_tile_n4 is the same kernel for N a multiple of 4,
//   storing C a vec4 at a time.
// - matmul_workgroup_tile: the classic 64×64 block staged through workgroup memory, 4×4 outputs
//   per thread, any sizes. For real GPUs (on SwiftShader it runs 5× slower than the register
//   tile: every barrier switches between all 256 invocations of the workgroup).
// - matmul_simple: 4×4 outputs per thread straight from storage, any sizes: the register
//   variant's fallback for sizes whose vec4 dimension is not a multiple of 4.
//
// Dropout with a kept mask (LoRA's input dropout, shaders/dropout.wgsl's bits: bit i % 32 of word
// i / 32 keeps element i) is applied inside any of the three, so the dropped tensor is never
// written: DROP = 1 reads A as A·keep/(1−p), DROP = 2 reads B so, each over the operand's stored
// elements (flat index, batch included); DROP = 3 scales the new part of C, alpha·op(A)·op(B)
// (+ bias), by keep/(1−p) at C's flat index before it is stored or added. Values equal dropping
// first and multiplying after, bit for bit.
//
// A second operand pair appended along K (EXTRA, register tile, NT, 2-D): C = alpha·([A | s·A2] ·
// [B | B2]ᵀ) (+ bias), A2 (M,K2), B2 (N,K2). A LoRA forward is y = [x | s·u]·[W | B]ᵀ in one pass
// over C instead of a second, narrow (K = R) product added into y.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
const REGISTER_WG: u32 = 8u; // register tile: threads per workgroup, laid out by Params.wg_x
override DROP: u32 = 0; // 0 none; dropout mask on 1 A, 2 B, 3 the product (see above)
override EXTRA: bool = false; // register tile, NT: a second pair appended along K (see below)

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_batch_stride: u32, // elements between batches of A; 0 when A is shared
  b_batch_stride: u32, // elements between batches of B; 0 when B is shared (a weight)
  alpha: f32,          // scale of op(A)·op(B)
  accumulate: u32,     // 1: C += result, 0: C = result
  has_bias: u32,       // 1: add bias[col]
  k_begin: u32,        // matmul_simple: first K index; nonzero only for TN, where K is never a stride
  drop_scale: f32,     // 1 / (1 − p) with DROP
  k2: u32,             // EXTRA: K of the second pair (a multiple of 4)
  extra_scale: f32,    // EXTRA: scale of the second pair's A
  wg_x: u32,           // register tile: threads of a workgroup along N (1, 2, 4 or 8; the rest lie along M)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> keep_bits: array<u32>; // dropout mask with DROP, else unused

// Whether flat element i is kept by the dropout mask.
fn kept(i: u32) -> bool {
  return ((keep_bits[i / 32u] >> (i % 32u)) & 1u) != 0u;
}

// x·keep/(1−p) for flat element i.
fn dropped(x: f32, i: u32) -> f32 {
  return select(0.0, x * p.drop_scale, kept(i));
}

// The same for the vec4 at vec4 index i (flat elements 4i..4i+3, all in one mask word).
fn dropped4(v: vec4<f32>, i: u32) -> vec4<f32> {
  let bits = keep_bits[i / 8u] >> ((i % 8u) * 4u);
  let keep = vec4<bool>((bits & 1u) != 0u, (bits & 2u) != 0u, (bits & 4u) != 0u, (bits & 8u) != 0u);
  return select(vec4<f32>(), v * p.drop_scale, keep);
}

// Writes the four outputs (row, col..col+3) of one batch that lie inside C.
fn store_quad(c_base: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.M) { return; }
  let at = c_base + row * p.N + col;
  // DROP = 3: the quad's four keep bits, read once (from two words when it straddles them).
  var keep = 0u;
  if (DROP == 3u) {
    let shift = at % 32u;
    keep = keep_bits[at / 32u] >> shift;
    if (shift > 28u) { keep |= keep_bits[min(at / 32u + 1u, arrayLength(&keep_bits) - 1u)] << (32u - shift); }
  }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.N) {
      var r = p.alpha * v[j];
      if (p.has_bias != 0u) { r += bias[col + j]; }
      if (DROP == 3u) { r = select(0.0, r * p.drop_scale, ((keep >> j) & 1u) != 0u); }
      if (p.accumulate != 0u) { r += c[at + j]; }
      c[at + j] = r;
    }
  }
}

// ---- register tile ---------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;

// The vec4 of A (of B) at vec4 index i, dropped when the mask is on that operand.
fn load_a4(i: u32) -> vec4<f32> {
  if (DROP == 1u) { return dropped4(a4[i], i); }
  return a4[i];
}

fn load_b4(i: u32) -> vec4<f32> {
  if (DROP == 2u) { return dropped4(b4[i], i); }
  return b4[i];
}

// Offset (in vec4s) of load n (0..15) of A in the first K-quad step of a tile at row0.
// (M,K): load n is the K-quad of row row0+n. (K,M): load n = 4u+s is M-quad u of K-row s.
// Rows past the end are clamped so the loop needs no bounds checks; their results are dropped.
fn a_offset(row0: u32, n: u32) -> u32 {
  if (TRANS_A) {
    let m4 = p.M / 4u;
    return (n % 4u) * m4 + min(row0 / 4u + n / 4u, m4 - 1u);
  }
  return min(row0 + n, p.M - 1u) * (p.K / 4u);
}

// Same for B: (N,K): load n is the K-quad of column col0+n. (K,N): load n = 4u+s is N-quad u of
// K-row s.
fn b_offset(col0: u32, n: u32) -> u32 {
  if (TRANS_B) {
    return min(col0 + n, p.N - 1u) * (p.K / 4u);
  }
  let n4 = p.N / 4u;
  return (n % 4u) * n4 + min(col0 / 4u + n / 4u, n4 - 1u);
}

@group(0) @binding(6) var<storage, read> a2_4: array<vec4<f32>>; // EXTRA: A2 (M,K2)
@group(0) @binding(7) var<storage, read> b2_4: array<vec4<f32>>; // EXTRA: B2 (N,K2)

// K-quad k4 of row row0 + n of s·A2, and of column col0 + n of B2 (rows past the end clamped).
fn extra_a(row0: u32, n: u32, k4: u32) -> vec4<f32> {
  return a2_4[min(row0 + n, p.M - 1u) * (p.k2 / 4u) + k4] * p.extra_scale;
}

fn extra_b(col0: u32, n: u32, k4: u32) -> vec4<f32> {
  return b2_4[min(col0 + n, p.N - 1u) * (p.k2 / 4u) + k4];
}

// One thread computes C[row0..row0+16, col0..col0+16]. Per K-quad step it loads 16 vec4s of A
// and 16 of B, arranges each group of four as a 4×4 matrix whose columns are K-quads (of rows of
// C for A, of columns of C for B), and accumulates acc_r_q += (K-quad of row r) · bq, which is
// four dot products: outputs (r, 4q..4q+3).
//
// The workgroup's 8 threads lie p.wg_x along N and 8 / p.wg_x along M (thread i at (i % wg_x,
// i / wg_x)), a layout chosen per shape at run time, so one pipeline serves every layout: each
// variant of this kernel takes seconds to compile on a software adapter.
fn register_tile(gid: vec3<u32>) -> array<vec4<f32>, 64> {
  let row0 = gid.y * 16u;
  let col0 = gid.x * 16u;
  let a_base = gid.z * (p.a_batch_stride / 4u);
  let b_base = gid.z * (p.b_batch_stride / 4u);
  let oa0 = a_base + a_offset(row0, 0u);   let oa1 = a_base + a_offset(row0, 1u);
  let oa2 = a_base + a_offset(row0, 2u);   let oa3 = a_base + a_offset(row0, 3u);
  let oa4 = a_base + a_offset(row0, 4u);   let oa5 = a_base + a_offset(row0, 5u);
  let oa6 = a_base + a_offset(row0, 6u);   let oa7 = a_base + a_offset(row0, 7u);
  let oa8 = a_base + a_offset(row0, 8u);   let oa9 = a_base + a_offset(row0, 9u);
  let oa10 = a_base + a_offset(row0, 10u); let oa11 = a_base + a_offset(row0, 11u);
  let oa12 = a_base + a_offset(row0, 12u); let oa13 = a_base + a_offset(row0, 13u);
  let oa14 = a_base + a_offset(row0, 14u); let oa15 = a_base + a_offset(row0, 15u);
  let ob0 = b_base + b_offset(col0, 0u);   let ob1 = b_base + b_offset(col0, 1u);
  let ob2 = b_base + b_offset(col0, 2u);   let ob3 = b_base + b_offset(col0, 3u);
  let ob4 = b_base + b_offset(col0, 4u);   let ob5 = b_base + b_offset(col0, 5u);
  let ob6 = b_base + b_offset(col0, 6u);   let ob7 = b_base + b_offset(col0, 7u);
  let ob8 = b_base + b_offset(col0, 8u);   let ob9 = b_base + b_offset(col0, 9u);
  let ob10 = b_base + b_offset(col0, 10u); let ob11 = b_base + b_offset(col0, 11u);
  let ob12 = b_base + b_offset(col0, 12u); let ob13 = b_base + b_offset(col0, 13u);
  let ob14 = b_base + b_offset(col0, 14u); let ob15 = b_base + b_offset(col0, 15u);

  // acc_r_q holds C[row0 + r, col0 + 4q .. col0 + 4q + 3].
  var acc_0_0 = vec4<f32>();  var acc_0_1 = vec4<f32>();  var acc_0_2 = vec4<f32>();  var acc_0_3 = vec4<f32>();
  var acc_1_0 = vec4<f32>();  var acc_1_1 = vec4<f32>();  var acc_1_2 = vec4<f32>();  var acc_1_3 = vec4<f32>();
  var acc_2_0 = vec4<f32>();  var acc_2_1 = vec4<f32>();  var acc_2_2 = vec4<f32>();  var acc_2_3 = vec4<f32>();
  var acc_3_0 = vec4<f32>();  var acc_3_1 = vec4<f32>();  var acc_3_2 = vec4<f32>();  var acc_3_3 = vec4<f32>();
  var acc_4_0 = vec4<f32>();  var acc_4_1 = vec4<f32>();  var acc_4_2 = vec4<f32>();  var acc_4_3 = vec4<f32>();
  var acc_5_0 = vec4<f32>();  var acc_5_1 = vec4<f32>();  var acc_5_2 = vec4<f32>();  var acc_5_3 = vec4<f32>();
  var acc_6_0 = vec4<f32>();  var acc_6_1 = vec4<f32>();  var acc_6_2 = vec4<f32>();  var acc_6_3 = vec4<f32>();
  var acc_7_0 = vec4<f32>();  var acc_7_1 = vec4<f32>();  var acc_7_2 = vec4<f32>();  var acc_7_3 = vec4<f32>();
  var acc_8_0 = vec4<f32>();  var acc_8_1 = vec4<f32>();  var acc_8_2 = vec4<f32>();  var acc_8_3 = vec4<f32>();
  var acc_9_0 = vec4<f32>();  var acc_9_1 = vec4<f32>();  var acc_9_2 = vec4<f32>();  var acc_9_3 = vec4<f32>();
  var acc_10_0 = vec4<f32>(); var acc_10_1 = vec4<f32>(); var acc_10_2 = vec4<f32>(); var acc_10_3 = vec4<f32>();
  var acc_11_0 = vec4<f32>(); var acc_11_1 = vec4<f32>(); var acc_11_2 = vec4<f32>(); var acc_11_3 = vec4<f32>();
  var acc_12_0 = vec4<f32>(); var acc_12_1 = vec4<f32>(); var acc_12_2 = vec4<f32>(); var acc_12_3 = vec4<f32>();
  var acc_13_0 = vec4<f32>(); var acc_13_1 = vec4<f32>(); var acc_13_2 = vec4<f32>(); var acc_13_3 = vec4<f32>();
  var acc_14_0 = vec4<f32>(); var acc_14_1 = vec4<f32>(); var acc_14_2 = vec4<f32>(); var acc_14_3 = vec4<f32>();
  var acc_15_0 = vec4<f32>(); var acc_15_1 = vec4<f32>(); var acc_15_2 = vec4<f32>(); var acc_15_3 = vec4<f32>();

  // vec4s between consecutive K-quads: the next vec4 of a row, or four rows further down.
  let a_step = select(1u, p.M, TRANS_A);
  let b_step = select(p.N, 1u, TRANS_B);
  for (var k4 = 0u; k4 < p.K / 4u; k4++) {
    let ka = k4 * a_step;
    let kb = k4 * b_step;
    var a0 = mat4x4<f32>(load_a4(oa0 + ka), load_a4(oa1 + ka), load_a4(oa2 + ka), load_a4(oa3 + ka));
    var a1 = mat4x4<f32>(load_a4(oa4 + ka), load_a4(oa5 + ka), load_a4(oa6 + ka), load_a4(oa7 + ka));
    var a2 = mat4x4<f32>(load_a4(oa8 + ka), load_a4(oa9 + ka), load_a4(oa10 + ka), load_a4(oa11 + ka));
    var a3 = mat4x4<f32>(load_a4(oa12 + ka), load_a4(oa13 + ka), load_a4(oa14 + ka), load_a4(oa15 + ka));
    var b0 = mat4x4<f32>(load_b4(ob0 + kb), load_b4(ob1 + kb), load_b4(ob2 + kb), load_b4(ob3 + kb));
    var b1 = mat4x4<f32>(load_b4(ob4 + kb), load_b4(ob5 + kb), load_b4(ob6 + kb), load_b4(ob7 + kb));
    var b2 = mat4x4<f32>(load_b4(ob8 + kb), load_b4(ob9 + kb), load_b4(ob10 + kb), load_b4(ob11 + kb));
    var b3 = mat4x4<f32>(load_b4(ob12 + kb), load_b4(ob13 + kb), load_b4(ob14 + kb), load_b4(ob15 + kb));
    // Loaded along M (or N), the columns are rows of the 4×4 block: transpose to K-quads.
    if (TRANS_A) { a0 = transpose(a0); a1 = transpose(a1); a2 = transpose(a2); a3 = transpose(a3); }
    if (!TRANS_B) { b0 = transpose(b0); b1 = transpose(b1); b2 = transpose(b2); b3 = transpose(b3); }

    acc_0_0 += a0[0] * b0;  acc_0_1 += a0[0] * b1;  acc_0_2 += a0[0] * b2;  acc_0_3 += a0[0] * b3;
    acc_1_0 += a0[1] * b0;  acc_1_1 += a0[1] * b1;  acc_1_2 += a0[1] * b2;  acc_1_3 += a0[1] * b3;
    acc_2_0 += a0[2] * b0;  acc_2_1 += a0[2] * b1;  acc_2_2 += a0[2] * b2;  acc_2_3 += a0[2] * b3;
    acc_3_0 += a0[3] * b0;  acc_3_1 += a0[3] * b1;  acc_3_2 += a0[3] * b2;  acc_3_3 += a0[3] * b3;
    acc_4_0 += a1[0] * b0;  acc_4_1 += a1[0] * b1;  acc_4_2 += a1[0] * b2;  acc_4_3 += a1[0] * b3;
    acc_5_0 += a1[1] * b0;  acc_5_1 += a1[1] * b1;  acc_5_2 += a1[1] * b2;  acc_5_3 += a1[1] * b3;
    acc_6_0 += a1[2] * b0;  acc_6_1 += a1[2] * b1;  acc_6_2 += a1[2] * b2;  acc_6_3 += a1[2] * b3;
    acc_7_0 += a1[3] * b0;  acc_7_1 += a1[3] * b1;  acc_7_2 += a1[3] * b2;  acc_7_3 += a1[3] * b3;
    acc_8_0 += a2[0] * b0;  acc_8_1 += a2[0] * b1;  acc_8_2 += a2[0] * b2;  acc_8_3 += a2[0] * b3;
    acc_9_0 += a2[1] * b0;  acc_9_1 += a2[1] * b1;  acc_9_2 += a2[1] * b2;  acc_9_3 += a2[1] * b3;
    acc_10_0 += a2[2] * b0; acc_10_1 += a2[2] * b1; acc_10_2 += a2[2] * b2; acc_10_3 += a2[2] * b3;
    acc_11_0 += a2[3] * b0; acc_11_1 += a2[3] * b1; acc_11_2 += a2[3] * b2; acc_11_3 += a2[3] * b3;
    acc_12_0 += a3[0] * b0; acc_12_1 += a3[0] * b1; acc_12_2 += a3[0] * b2; acc_12_3 += a3[0] * b3;
    acc_13_0 += a3[1] * b0; acc_13_1 += a3[1] * b1; acc_13_2 += a3[1] * b2; acc_13_3 += a3[1] * b3;
    acc_14_0 += a3[2] * b0; acc_14_1 += a3[2] * b1; acc_14_2 += a3[2] * b2; acc_14_3 += a3[2] * b3;
    acc_15_0 += a3[3] * b0; acc_15_1 += a3[3] * b1; acc_15_2 += a3[3] * b2; acc_15_3 += a3[3] * b3;
  }

  // The second pair (EXTRA), NT: K-quads of rows of s·A2 and of columns of B2, as in the loop above.
  if (EXTRA) {
    for (var k4 = 0u; k4 < p.k2 / 4u; k4++) {
      let a0 = mat4x4<f32>(extra_a(row0, 0u, k4), extra_a(row0, 1u, k4), extra_a(row0, 2u, k4), extra_a(row0, 3u, k4));
      let a1 = mat4x4<f32>(extra_a(row0, 4u, k4), extra_a(row0, 5u, k4), extra_a(row0, 6u, k4), extra_a(row0, 7u, k4));
      let a2 = mat4x4<f32>(extra_a(row0, 8u, k4), extra_a(row0, 9u, k4), extra_a(row0, 10u, k4), extra_a(row0, 11u, k4));
      let a3 = mat4x4<f32>(extra_a(row0, 12u, k4), extra_a(row0, 13u, k4), extra_a(row0, 14u, k4), extra_a(row0, 15u, k4));
      let b0 = mat4x4<f32>(extra_b(col0, 0u, k4), extra_b(col0, 1u, k4), extra_b(col0, 2u, k4), extra_b(col0, 3u, k4));
      let b1 = mat4x4<f32>(extra_b(col0, 4u, k4), extra_b(col0, 5u, k4), extra_b(col0, 6u, k4), extra_b(col0, 7u, k4));
      let b2 = mat4x4<f32>(extra_b(col0, 8u, k4), extra_b(col0, 9u, k4), extra_b(col0, 10u, k4), extra_b(col0, 11u, k4));
      let b3 = mat4x4<f32>(extra_b(col0, 12u, k4), extra_b(col0, 13u, k4), extra_b(col0, 14u, k4), extra_b(col0, 15u, k4));
      acc_0_0 += a0[0] * b0;  acc_0_1 += a0[0] * b1;  acc_0_2 += a0[0] * b2;  acc_0_3 += a0[0] * b3;
      acc_1_0 += a0[1] * b0;  acc_1_1 += a0[1] * b1;  acc_1_2 += a0[1] * b2;  acc_1_3 += a0[1] * b3;
      acc_2_0 += a0[2] * b0;  acc_2_1 += a0[2] * b1;  acc_2_2 += a0[2] * b2;  acc_2_3 += a0[2] * b3;
      acc_3_0 += a0[3] * b0;  acc_3_1 += a0[3] * b1;  acc_3_2 += a0[3] * b2;  acc_3_3 += a0[3] * b3;
      acc_4_0 += a1[0] * b0;  acc_4_1 += a1[0] * b1;  acc_4_2 += a1[0] * b2;  acc_4_3 += a1[0] * b3;
      acc_5_0 += a1[1] * b0;  acc_5_1 += a1[1] * b1;  acc_5_2 += a1[1] * b2;  acc_5_3 += a1[1] * b3;
      acc_6_0 += a1[2] * b0;  acc_6_1 += a1[2] * b1;  acc_6_2 += a1[2] * b2;  acc_6_3 += a1[2] * b3;
      acc_7_0 += a1[3] * b0;  acc_7_1 += a1[3] * b1;  acc_7_2 += a1[3] * b2;  acc_7_3 += a1[3] * b3;
      acc_8_0 += a2[0] * b0;  acc_8_1 += a2[0] * b1;  acc_8_2 += a2[0] * b2;  acc_8_3 += a2[0] * b3;
      acc_9_0 += a2[1] * b0;  acc_9_1 += a2[1] * b1;  acc_9_2 += a2[1] * b2;  acc_9_3 += a2[1] * b3;
      acc_10_0 += a2[2] * b0; acc_10_1 += a2[2] * b1; acc_10_2 += a2[2] * b2; acc_10_3 += a2[2] * b3;
      acc_11_0 += a2[3] * b0; acc_11_1 += a2[3] * b1; acc_11_2 += a2[3] * b2; acc_11_3 += a2[3] * b3;
      acc_12_0 += a3[0] * b0; acc_12_1 += a3[0] * b1; acc_12_2 += a3[0] * b2; acc_12_3 += a3[0] * b3;
      acc_13_0 += a3[1] * b0; acc_13_1 += a3[1] * b1; acc_13_2 += a3[1] * b2; acc_13_3 += a3[1] * b3;
      acc_14_0 += a3[2] * b0; acc_14_1 += a3[2] * b1; acc_14_2 += a3[2] * b2; acc_14_3 += a3[2] * b3;
      acc_15_0 += a3[3] * b0; acc_15_1 += a3[3] * b1; acc_15_2 += a3[3] * b2; acc_15_3 += a3[3] * b3;
    }
  }

  // The tile is stored by one loop (tile[4r + q] = acc_r_q): 64 inlined stores took a software
  // adapter 4–9× longer to compile, and the values written are the same.
  return array<vec4<f32>, 64>(
    acc_0_0, acc_0_1, acc_0_2, acc_0_3,
    acc_1_0, acc_1_1, acc_1_2, acc_1_3,
    acc_2_0, acc_2_1, acc_2_2, acc_2_3,
    acc_3_0, acc_3_1, acc_3_2, acc_3_3,
    acc_4_0, acc_4_1, acc_4_2, acc_4_3,
    acc_5_0, acc_5_1, acc_5_2, acc_5_3,
    acc_6_0, acc_6_1, acc_6_2, acc_6_3,
    acc_7_0, acc_7_1, acc_7_2, acc_7_3,
    acc_8_0, acc_8_1, acc_8_2, acc_8_3,
    acc_9_0, acc_9_1, acc_9_2, acc_9_3,
    acc_10_0, acc_10_1, acc_10_2, acc_10_3,
    acc_11_0, acc_11_1, acc_11_2, acc_11_3,
    acc_12_0, acc_12_1, acc_12_2, acc_12_3,
    acc_13_0, acc_13_1, acc_13_2, acc_13_3,
    acc_14_0, acc_14_1, acc_14_2, acc_14_3,
    acc_15_0, acc_15_1, acc_15_2, acc_15_3,
  );
}

// The thread's tile coordinates: p.wg_x threads along N, the rest along M.
fn register_gid(wid: vec3<u32>, lid: u32) -> vec3<u32> {
  return vec3<u32>(wid.x * p.wg_x + lid % p.wg_x, wid.y * (REGISTER_WG / p.wg_x) + lid / p.wg_x, wid.z);
}

@compute @workgroup_size(REGISTER_WG, 1, 1)
fn matmul_register_tile(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = register_gid(wid, lid);
  if (gid.y * 16u >= p.M || gid.x * 16u >= p.N) { return; }
  var tile = register_tile(gid);
  for (var i = 0u; i < 64u; i++) {
    store_quad(gid.z * p.M * p.N, gid.y * 16u + i / 4u, gid.x * 16u + (i % 4u) * 4u, tile[i]);
  }
}

// The same kernel for N a multiple of 4, where every quad of C lies whole inside a row and on a
// vec4 boundary: each quad is one vec4 store (scalar stores cost a software adapter a bounds check
// and a scattered write each).
@group(0) @binding(3) var<storage, read_write> c4: array<vec4<f32>>;

fn store_quad4(at4: u32, v: vec4<f32>, col: u32) {
  var r = p.alpha * v;
  if (p.has_bias != 0u) { r += vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]); }
  if (DROP == 3u) {
    let bits = keep_bits[at4 / 8u] >> ((at4 % 8u) * 4u);
    let keep = vec4<bool>((bits & 1u) != 0u, (bits & 2u) != 0u, (bits & 4u) != 0u, (bits & 8u) != 0u);
    r = select(vec4<f32>(), r * p.drop_scale, keep);
  }
  if (p.accumulate != 0u) { r += c4[at4]; }
  c4[at4] = r;
}

@compute @workgroup_size(REGISTER_WG, 1, 1)
fn matmul_register_tile_n4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let gid = register_gid(wid, lid);
  if (gid.y * 16u >= p.M || gid.x * 16u >= p.N) { return; }
  var tile = register_tile(gid);
  let n4 = p.N / 4u;
  let base4 = gid.z * p.M * n4;
  for (var i = 0u; i < 64u; i++) {
    let row = gid.y * 16u + i / 4u;
    let q = gid.x * 4u + i % 4u; // the quad's vec4 column
    if (row < p.M && q < n4) { store_quad4(base4 + row * n4 + q, tile[i], q * 4u); }
  }
}

// ---- scalar access: workgroup tile and simple kernels -----------------------------------------

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;

// op(A)[row, k] of one batch, 0 outside the matrix (pads the last block).
fn a_at(base: u32, row: u32, k: u32) -> f32 {
  if (row >= p.M || k >= p.K) { return 0.0; }
  let kk = p.k_begin + k;
  let i = base + select(row * p.K + kk, kk * p.M + row, TRANS_A);
  if (DROP == 1u) { return dropped(a[i], i); }
  return a[i];
}

// op(B)[k, col] of one batch, 0 outside the matrix.
fn b_at(base: u32, k: u32, col: u32) -> f32 {
  if (col >= p.N || k >= p.K) { return 0.0; }
  let kk = p.k_begin + k;
  let i = base + select(kk * p.N + col, col * p.K + kk, TRANS_B);
  if (DROP == 2u) { return dropped(b[i], i); }
  return b[i];
}

// One thread computes C[row0..row0+4, col0..col0+4] of batch gid.z.
@compute @workgroup_size(8, 8, 1)
fn matmul_simple(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let a_base = gid.z * p.a_batch_stride;
  let b_base = gid.z * p.b_batch_stride;
  var acc0 = vec4<f32>(); // C[row0 + 0, col0 .. col0 + 3]
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k = 0u; k < p.K; k++) {
    let bv = vec4<f32>(b_at(b_base, k, col0), b_at(b_base, k, col0 + 1u), b_at(b_base, k, col0 + 2u), b_at(b_base, k, col0 + 3u));
    acc0 += a_at(a_base, row0, k) * bv;
    acc1 += a_at(a_base, row0 + 1u, k) * bv;
    acc2 += a_at(a_base, row0 + 2u, k) * bv;
    acc3 += a_at(a_base, row0 + 3u, k) * bv;
  }
  let c_base = gid.z * p.M * p.N;
  store_quad(c_base, row0, col0, acc0);
  store_quad(c_base, row0 + 1u, col0, acc1);
  store_quad(c_base, row0 + 2u, col0, acc2);
  store_quad(c_base, row0 + 3u, col0, acc3);
}

// ---- workgroup tile --------------------------------------------------------------------------

const TILE = 64u;   // rows and columns of C per workgroup
const TILE_K = 16u; // K-slice staged per step

// tile_a[k * 16 + q] = A rows 4q..4q+3 of the block at K-slice index k; tile_b likewise columns.
var<workgroup> tile_a: array<vec4<f32>, 256>;
var<workgroup> tile_b: array<vec4<f32>, 256>;

@compute @workgroup_size(16, 16, 1)
fn matmul_workgroup_tile(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let a_base = wid.z * p.a_batch_stride;
  let b_base = wid.z * p.b_batch_stride;
  let t = lid.y * 16u + lid.x;
  // Neighbouring threads stage neighbouring addresses: along K when the operand is stored K-minor.
  let a_k = select(t % 16u, t / 16u, TRANS_A);
  let a_q = select(t / 16u, t % 16u, TRANS_A);
  let b_k = select(t / 16u, t % 16u, TRANS_B);
  let b_q = select(t % 16u, t / 16u, TRANS_B);

  var acc0 = vec4<f32>(); // C[row0 + 4·lid.y + 0, col0 + 4·lid.x .. +3]
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = 0u; k0 < p.K; k0 += TILE_K) {
    let ra = row0 + 4u * a_q;
    let ka = k0 + a_k;
    tile_a[a_k * 16u + a_q] = vec4<f32>(a_at(a_base, ra, ka), a_at(a_base, ra + 1u, ka), a_at(a_base, ra + 2u, ka), a_at(a_base, ra + 3u, ka));
    let cb = col0 + 4u * b_q;
    let kb = k0 + b_k;
    tile_b[b_k * 16u + b_q] = vec4<f32>(b_at(b_base, kb, cb), b_at(b_base, kb, cb + 1u), b_at(b_base, kb, cb + 2u), b_at(b_base, kb, cb + 3u));
    workgroupBarrier();
    for (var k = 0u; k < TILE_K; k++) {
      let av = tile_a[k * 16u + lid.y];
      let bv = tile_b[k * 16u + lid.x];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }

  let c_base = wid.z * p.M * p.N;
  let r = row0 + 4u * lid.y;
  let col = col0 + 4u * lid.x;
  store_quad(c_base, r, col, acc0);
  store_quad(c_base, r + 1u, col, acc1);
  store_quad(c_base, r + 2u, col, acc2);
  store_quad(c_base, r + 3u, col, acc3);
}
