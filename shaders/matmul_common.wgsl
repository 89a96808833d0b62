// Batched matrix multiply: C = alpha·op(A)·op(B) (+ bias) (+ C when accumulating).
//
// Shapes, row-major with the batch first (z of the dispatch grid):
//   A is (Bt,M,K), or (Bt,K,M) when TRANS_A
//   B is (Bt,K,N), or (Bt,N,K) when TRANS_B (Hugging Face's [out,in] weights: y = x·Wᵀ)
//   C is (Bt,M,N); bias is (N), added to every row
// A batch stride of 0 shares an operand over the batch (one weight for every sequence).
//
// This file holds what the kernels share (Params, C, bias, the dropout mask, the store of a quad of
// C); src/ops/matmul.ts prepends it to each kernel file: matmul_register.wgsl (the register tile)
// and matmul_scalar.wgsl (the simple and workgroup-tile kernels). Three kernels; src/ops/matmul.ts
// picks one per adapter and shape:
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
// first and multiplying after, bit for bit. DROP = 4 (register tile with EXTRA) scales the second
// pair's product alone.
//
// A second operand pair appended along K (EXTRA, register tile, NT or NN, 2-D): C = alpha·(op(A)·
// op(B) + s·A2·op(B2)) (+ bias), A2 (M,K2), B2 stored as B is. A LoRA forward is
// y = [x | s·u]·[W | B]ᵀ in one pass over C instead of a second, narrow (K = R) product added into
// y; its input gradient dy·W + drop⁻¹(s·dy·B)·A likewise (DROP = 4).

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override DROP: u32 = 0; // 0 none; dropout mask on 1 A, 2 B, 3 the product, 4 the second pair's product (see above)

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
