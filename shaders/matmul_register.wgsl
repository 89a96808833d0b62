// Register-tile matmul (the header of matmul_common.wgsl, which src/ops/matmul.ts prepends, describes
// it): matmul_register_tile, and matmul_register_tile_n4 for N a multiple of 4.

const REGISTER_WG: u32 = 8u; // threads per workgroup, laid out by Params.wg_x
override EXTRA: bool = false; // NT: a second pair appended along K (see matmul_common.wgsl)

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
@group(0) @binding(7) var<storage, read> b2_4: array<vec4<f32>>; // EXTRA: B2, (N,K2) with TRANS_B, else (K2,N)

// K-quad k4 of row row0 + n of s·A2 (rows past the end clamped).
fn extra_a(row0: u32, n: u32, k4: u32) -> vec4<f32> {
  return a2_4[min(row0 + n, p.M - 1u) * (p.k2 / 4u) + k4] * p.extra_scale;
}

// Load n of B2 in K-quad step k4, laid out as B is: (N,K2) with TRANS_B, the K-quad of column
// col0 + n; (K2,N) without, N-quad n / 4 of K-row 4·k4 + n % 4 (as b_offset).
fn extra_b(col0: u32, n: u32, k4: u32) -> vec4<f32> {
  if (TRANS_B) { return b2_4[min(col0 + n, p.N - 1u) * (p.k2 / 4u) + k4]; }
  let n4 = p.N / 4u;
  return b2_4[(4u * k4 + n % 4u) * n4 + min(col0 / 4u + n / 4u, n4 - 1u)];
}

// DROP = 4: the second pair's product at C's quad (row, col..col+3) scaled by keep/(1−p), C's
// mask read as dropped4 reads an operand's (N a multiple of 4 and one batch, so the quad is vec4
// (row·N + col) / 4; clamped rows and columns read bits inside C, and their results are dropped).
fn extra_dropped(row: u32, col: u32, v: vec4<f32>) -> vec4<f32> {
  return dropped4(v, (min(row, p.M - 1u) * p.N + min(col, p.N - 4u)) / 4u);
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

  // The second pair (EXTRA) first, so that DROP = 4 can scale its product alone before the main
  // K loop adds on: K-quads of rows of s·A2 and of columns of B2, as in the main loop below.
  if (EXTRA) {
    for (var k4 = 0u; k4 < p.k2 / 4u; k4++) {
      let a0 = mat4x4<f32>(extra_a(row0, 0u, k4), extra_a(row0, 1u, k4), extra_a(row0, 2u, k4), extra_a(row0, 3u, k4));
      let a1 = mat4x4<f32>(extra_a(row0, 4u, k4), extra_a(row0, 5u, k4), extra_a(row0, 6u, k4), extra_a(row0, 7u, k4));
      let a2 = mat4x4<f32>(extra_a(row0, 8u, k4), extra_a(row0, 9u, k4), extra_a(row0, 10u, k4), extra_a(row0, 11u, k4));
      let a3 = mat4x4<f32>(extra_a(row0, 12u, k4), extra_a(row0, 13u, k4), extra_a(row0, 14u, k4), extra_a(row0, 15u, k4));
      var b0 = mat4x4<f32>(extra_b(col0, 0u, k4), extra_b(col0, 1u, k4), extra_b(col0, 2u, k4), extra_b(col0, 3u, k4));
      var b1 = mat4x4<f32>(extra_b(col0, 4u, k4), extra_b(col0, 5u, k4), extra_b(col0, 6u, k4), extra_b(col0, 7u, k4));
      var b2 = mat4x4<f32>(extra_b(col0, 8u, k4), extra_b(col0, 9u, k4), extra_b(col0, 10u, k4), extra_b(col0, 11u, k4));
      var b3 = mat4x4<f32>(extra_b(col0, 12u, k4), extra_b(col0, 13u, k4), extra_b(col0, 14u, k4), extra_b(col0, 15u, k4));
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
    if (DROP == 4u) {
      acc_0_0 = extra_dropped(row0 + 0u, col0 + 0u, acc_0_0); acc_0_1 = extra_dropped(row0 + 0u, col0 + 4u, acc_0_1); acc_0_2 = extra_dropped(row0 + 0u, col0 + 8u, acc_0_2); acc_0_3 = extra_dropped(row0 + 0u, col0 + 12u, acc_0_3);
      acc_1_0 = extra_dropped(row0 + 1u, col0 + 0u, acc_1_0); acc_1_1 = extra_dropped(row0 + 1u, col0 + 4u, acc_1_1); acc_1_2 = extra_dropped(row0 + 1u, col0 + 8u, acc_1_2); acc_1_3 = extra_dropped(row0 + 1u, col0 + 12u, acc_1_3);
      acc_2_0 = extra_dropped(row0 + 2u, col0 + 0u, acc_2_0); acc_2_1 = extra_dropped(row0 + 2u, col0 + 4u, acc_2_1); acc_2_2 = extra_dropped(row0 + 2u, col0 + 8u, acc_2_2); acc_2_3 = extra_dropped(row0 + 2u, col0 + 12u, acc_2_3);
      acc_3_0 = extra_dropped(row0 + 3u, col0 + 0u, acc_3_0); acc_3_1 = extra_dropped(row0 + 3u, col0 + 4u, acc_3_1); acc_3_2 = extra_dropped(row0 + 3u, col0 + 8u, acc_3_2); acc_3_3 = extra_dropped(row0 + 3u, col0 + 12u, acc_3_3);
      acc_4_0 = extra_dropped(row0 + 4u, col0 + 0u, acc_4_0); acc_4_1 = extra_dropped(row0 + 4u, col0 + 4u, acc_4_1); acc_4_2 = extra_dropped(row0 + 4u, col0 + 8u, acc_4_2); acc_4_3 = extra_dropped(row0 + 4u, col0 + 12u, acc_4_3);
      acc_5_0 = extra_dropped(row0 + 5u, col0 + 0u, acc_5_0); acc_5_1 = extra_dropped(row0 + 5u, col0 + 4u, acc_5_1); acc_5_2 = extra_dropped(row0 + 5u, col0 + 8u, acc_5_2); acc_5_3 = extra_dropped(row0 + 5u, col0 + 12u, acc_5_3);
      acc_6_0 = extra_dropped(row0 + 6u, col0 + 0u, acc_6_0); acc_6_1 = extra_dropped(row0 + 6u, col0 + 4u, acc_6_1); acc_6_2 = extra_dropped(row0 + 6u, col0 + 8u, acc_6_2); acc_6_3 = extra_dropped(row0 + 6u, col0 + 12u, acc_6_3);
      acc_7_0 = extra_dropped(row0 + 7u, col0 + 0u, acc_7_0); acc_7_1 = extra_dropped(row0 + 7u, col0 + 4u, acc_7_1); acc_7_2 = extra_dropped(row0 + 7u, col0 + 8u, acc_7_2); acc_7_3 = extra_dropped(row0 + 7u, col0 + 12u, acc_7_3);
      acc_8_0 = extra_dropped(row0 + 8u, col0 + 0u, acc_8_0); acc_8_1 = extra_dropped(row0 + 8u, col0 + 4u, acc_8_1); acc_8_2 = extra_dropped(row0 + 8u, col0 + 8u, acc_8_2); acc_8_3 = extra_dropped(row0 + 8u, col0 + 12u, acc_8_3);
      acc_9_0 = extra_dropped(row0 + 9u, col0 + 0u, acc_9_0); acc_9_1 = extra_dropped(row0 + 9u, col0 + 4u, acc_9_1); acc_9_2 = extra_dropped(row0 + 9u, col0 + 8u, acc_9_2); acc_9_3 = extra_dropped(row0 + 9u, col0 + 12u, acc_9_3);
      acc_10_0 = extra_dropped(row0 + 10u, col0 + 0u, acc_10_0); acc_10_1 = extra_dropped(row0 + 10u, col0 + 4u, acc_10_1); acc_10_2 = extra_dropped(row0 + 10u, col0 + 8u, acc_10_2); acc_10_3 = extra_dropped(row0 + 10u, col0 + 12u, acc_10_3);
      acc_11_0 = extra_dropped(row0 + 11u, col0 + 0u, acc_11_0); acc_11_1 = extra_dropped(row0 + 11u, col0 + 4u, acc_11_1); acc_11_2 = extra_dropped(row0 + 11u, col0 + 8u, acc_11_2); acc_11_3 = extra_dropped(row0 + 11u, col0 + 12u, acc_11_3);
      acc_12_0 = extra_dropped(row0 + 12u, col0 + 0u, acc_12_0); acc_12_1 = extra_dropped(row0 + 12u, col0 + 4u, acc_12_1); acc_12_2 = extra_dropped(row0 + 12u, col0 + 8u, acc_12_2); acc_12_3 = extra_dropped(row0 + 12u, col0 + 12u, acc_12_3);
      acc_13_0 = extra_dropped(row0 + 13u, col0 + 0u, acc_13_0); acc_13_1 = extra_dropped(row0 + 13u, col0 + 4u, acc_13_1); acc_13_2 = extra_dropped(row0 + 13u, col0 + 8u, acc_13_2); acc_13_3 = extra_dropped(row0 + 13u, col0 + 12u, acc_13_3);
      acc_14_0 = extra_dropped(row0 + 14u, col0 + 0u, acc_14_0); acc_14_1 = extra_dropped(row0 + 14u, col0 + 4u, acc_14_1); acc_14_2 = extra_dropped(row0 + 14u, col0 + 8u, acc_14_2); acc_14_3 = extra_dropped(row0 + 14u, col0 + 12u, acc_14_3);
      acc_15_0 = extra_dropped(row0 + 15u, col0 + 0u, acc_15_0); acc_15_1 = extra_dropped(row0 + 15u, col0 + 4u, acc_15_1); acc_15_2 = extra_dropped(row0 + 15u, col0 + 8u, acc_15_2); acc_15_3 = extra_dropped(row0 + 15u, col0 + 12u, acc_15_3);
    }
  }

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
