// Matrix–vector kernels: the few-rows case of y = x·Wᵀ (token-by-token decoding), and the column
// sum that gives a bias gradient (db += Σ_rows dy).
//
// gemv_nt: x is (Bt,M,K) with M small, W is (Bt,N,K) or shared (N,K), y is (Bt,M,N), bias (N).
// One thread computes 8 adjacent outputs of one row; K is read as vec4 (K must be a multiple of
// 4). A 16×16 register tile would do 16× the arithmetic at M=1; here each weight is read once
// per row, which is all a memory-bound product can do.

override WG: u32 = 64;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_batch_stride: u32, // elements between batches of x
  b_batch_stride: u32, // elements between batches of W; 0 when W is shared
  alpha: f32,          // scale of x·Wᵀ
  accumulate: u32,     // 1: y += result, 0: y = result
  has_bias: u32,       // 1: add bias[col]
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn store(at: u32, col: u32, v: f32) {
  if (col >= p.N) { return; }
  var r = p.alpha * v;
  if (p.has_bias != 0u) { r += bias[col]; }
  if (p.accumulate != 0u) { r += y[at]; }
  y[at] = r;
}

@compute @workgroup_size(WG, 1, 1)
fn gemv_nt(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col0 = gid.x * 8u;
  let row = gid.y;
  if (col0 >= p.N || row >= p.M) { return; }
  let k4 = p.K / 4u;
  let x_row = gid.z * (p.a_batch_stride / 4u) + row * k4;
  // wr_j: where row col0+j of W starts. Columns past the end are clamped so the loop needs no
  // bounds checks; store() drops them.
  let w_base = gid.z * (p.b_batch_stride / 4u);
  let wr0 = w_base + min(col0, p.N - 1u) * k4;
  let wr1 = w_base + min(col0 + 1u, p.N - 1u) * k4;
  let wr2 = w_base + min(col0 + 2u, p.N - 1u) * k4;
  let wr3 = w_base + min(col0 + 3u, p.N - 1u) * k4;
  let wr4 = w_base + min(col0 + 4u, p.N - 1u) * k4;
  let wr5 = w_base + min(col0 + 5u, p.N - 1u) * k4;
  let wr6 = w_base + min(col0 + 6u, p.N - 1u) * k4;
  let wr7 = w_base + min(col0 + 7u, p.N - 1u) * k4;
  var s0 = 0.0; var s1 = 0.0; var s2 = 0.0; var s3 = 0.0;
  var s4 = 0.0; var s5 = 0.0; var s6 = 0.0; var s7 = 0.0;
  for (var k = 0u; k < k4; k++) {
    let xv = x4[x_row + k];
    s0 += dot(xv, w4[wr0 + k]);
    s1 += dot(xv, w4[wr1 + k]);
    s2 += dot(xv, w4[wr2 + k]);
    s3 += dot(xv, w4[wr3 + k]);
    s4 += dot(xv, w4[wr4 + k]);
    s5 += dot(xv, w4[wr5 + k]);
    s6 += dot(xv, w4[wr6 + k]);
    s7 += dot(xv, w4[wr7 + k]);
  }
  let at = gid.z * p.M * p.N + row * p.N + col0;
  store(at, col0, s0);
  store(at + 1u, col0 + 1u, s1);
  store(at + 2u, col0 + 2u, s2);
  store(at + 3u, col0 + 3u, s3);
  store(at + 4u, col0 + 4u, s4);
  store(at + 5u, col0 + 5u, s5);
  store(at + 6u, col0 + 6u, s6);
  store(at + 7u, col0 + 7u, s7);
}

// ---- bias gradient ---------------------------------------------------------------------------

struct ColumnSumParams {
  rows: u32, // rows of dy (all leading dims flattened)
  cols: u32, // N, the bias length
}

@group(0) @binding(0) var<uniform> q: ColumnSumParams;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

// db[col] += Σ_r dy[r, col]; dy is (rows, cols). Neighbouring threads read neighbouring columns.
@compute @workgroup_size(WG, 1, 1)
fn column_sum_accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  if (col >= q.cols) { return; }
  var sum = 0.0;
  for (var r = 0u; r < q.rows; r++) {
    sum += dy[r * q.cols + col];
  }
  db[col] += sum;
}
