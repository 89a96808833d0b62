// Matmul kernels with scalar access, any sizes (the header of matmul_common.wgsl, which
// src/ops/matmul.ts prepends, describes them): matmul_simple and matmul_workgroup_tile.

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
