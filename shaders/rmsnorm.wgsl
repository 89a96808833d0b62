// RMSNorm (Llama / Hugging Face LlamaRMSNorm): y = x / sqrt(mean(x²) + eps) * weight, f32.
// Shapes: x, y, dy, dx are (N,C) row-major; weight and dweight are (C); rstd is (N), the per-row
// 1 / sqrt(mean(x²) + eps) the forward keeps for the backward.
//
// One workgroup per row, WG (a power of two) invocations striding over C, tree reduction in
// workgroup memory, fixed order: deterministic. Software adapters run the thread-per-row kernels
// at the end of this file instead (src/ops/rmsnorm.ts, rmsnormVariant). The sum of squares is kept
// scaled by the running largest |x| (s = Σ (x/m)², rescaled when m grows, like an online softmax),
// so rows with |x| up to f32's maximum do not overflow to inf: the guard costs one division per
// element here, one per row in the thread-per-row kernel.
// The backward uses the normalised x̂ = x·rstd, never rstd³, so it stays finite for the same rows.

override WG: u32 = 256;   // invocations per row; power of two
override WG_C: u32 = 64;  // dweight: channels per workgroup
override WG_R: u32 = 4;   // dweight: row lanes per channel, each summing every WG_R-th row

struct Params {
  n: u32,            // rows N
  c: u32,            // channels C
  eps: f32,          // e.g. 1e-5 (Llama) or 1e-6
  add_residual: u32, // backward: 1 adds `residual` (N,C) into dx (a residual branch's gradient)
}

@group(0) @binding(0) var<uniform> p: Params;

var<workgroup> wg_a: array<f32, WG>;
var<workgroup> wg_b: array<f32, WG>;

fn row_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// ---- forward -------------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

// 1 / sqrt(m²·s/C + eps) for s = Σ (x/m)², without forming m² when it could overflow.
fn reciprocal_rms(m: f32, s: f32) -> f32 {
  let mean_scaled = s / f32(p.c);
  if (m <= 1.0) { return inverseSqrt(m * m * mean_scaled + p.eps); }
  return inverseSqrt(mean_scaled + p.eps / (m * m)) / m;
}

@compute @workgroup_size(WG)
fn rmsnorm_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.n) { return; }
  let base = row * p.c;
  // Per invocation: m = largest |x| seen, s = Σ (x/m)².
  var m = 0.0;
  var s = 0.0;
  for (var ch = lid; ch < p.c; ch += WG) {
    let a = abs(x[base + ch]);
    if (a > m) {
      let r = m / a;
      s = s * r * r + 1.0;
      m = a;
    } else {
      let r = a / max(m, 1e-37); // m == 0 here only when a == 0
      s += r * r;
    }
  }
  wg_a[lid] = m;
  wg_b[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      let m1 = wg_a[lid];
      let m2 = wg_a[lid + stride];
      let mm = max(m1, m2);
      if (mm > 0.0) {
        let r1 = m1 / mm;
        let r2 = m2 / mm;
        wg_b[lid] = wg_b[lid] * r1 * r1 + wg_b[lid + stride] * r2 * r2;
      }
      wg_a[lid] = mm;
    }
    workgroupBarrier();
  }
  let r = reciprocal_rms(wg_a[0], wg_b[0]);
  for (var ch = lid; ch < p.c; ch += WG) {
    y[base + ch] = x[base + ch] * r * weight[ch];
  }
  if (lid == 0u) { rstd[row] = r; }
}

// ---- backward: dx ----------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bweight: array<f32>;
@group(0) @binding(3) var<storage, read> brstd: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read> residual: array<f32>;

// dx = rstd · (w·dy − x̂ · mean(w·dy·x̂)), x̂ = x·rstd (+ residual).
@compute @workgroup_size(WG)
fn rmsnorm_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.n) { return; }
  let base = row * p.c;
  let r = brstd[row];
  var dot = 0.0;
  for (var ch = lid; ch < p.c; ch += WG) {
    dot += bweight[ch] * dy[base + ch] * (bx[base + ch] * r);
  }
  wg_a[lid] = dot;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { wg_a[lid] += wg_a[lid + stride]; }
    workgroupBarrier();
  }
  let mean_dot = wg_a[0] / f32(p.c);
  for (var ch = lid; ch < p.c; ch += WG) {
    let xhat = bx[base + ch] * r;
    var g = r * (bweight[ch] * dy[base + ch] - xhat * mean_dot);
    if (p.add_residual != 0u) { g = g + residual[base + ch]; }
    dx[base + ch] = g;
  }
}

// ---- backward: dweight -----------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> wx: array<f32>;
@group(0) @binding(2) var<storage, read> wrstd: array<f32>;
@group(0) @binding(3) var<storage, read> wdy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dweight: array<f32>;

var<workgroup> wg_lanes: array<f32, WG_C * WG_R>;

// dweight[c] += Σ_n dy[n,c] · x̂[n,c]. A workgroup owns WG_C channels; its WG_R lanes per channel
// sum interleaved rows, then lane 0 adds the lanes in order: one writer per channel, no atomics.
@compute @workgroup_size(WG_C, WG_R)
fn rmsnorm_backward_weight(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let ch = wid.x * WG_C + lid.x;
  var sum = 0.0;
  if (ch < p.c) {
    for (var row = lid.y; row < p.n; row += WG_R) {
      let i = row * p.c + ch;
      sum += wdy[i] * (wx[i] * wrstd[row]);
    }
  }
  wg_lanes[lid.y * WG_C + lid.x] = sum;
  workgroupBarrier();
  if (lid.y == 0u && ch < p.c) {
    var total = 0.0;
    for (var lane = 0u; lane < WG_R; lane++) { total += wg_lanes[lane * WG_C + lid.x]; }
    dweight[ch] = dweight[ch] + total;
  }
}

// ---- one thread per row (software adapters; C a multiple of 4) ------------------------------------
//
// The same maths with a row's reduction in one invocation, vec4 at a time, no workgroup memory or
// barriers (a software adapter runs a workgroup's invocations as SIMD lanes of one CPU thread, and a
// barrier switches between them all). Overflow guard without a division per element: the row's
// largest |x| first, m, then s = Σ (x·(1/m))², one division per row.

override ROW_WG: u32 = 32; // rows per workgroup

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> weight4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4<f32>>;

fn row_of(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * ROW_WG + gid.x;
}

@compute @workgroup_size(ROW_WG)
fn rmsnorm_forward_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(gid, nwg);
  if (row >= p.n) { return; }
  let c4 = p.c / 4u;
  let base = row * c4;
  var m4 = vec4<f32>();
  for (var i = 0u; i < c4; i++) { m4 = max(m4, abs(x4[base + i])); }
  // A floor keeps 1/m finite for all-zero and denormal rows; m only scales the sum, so any m > 0 is exact.
  let m = max(max(max(m4.x, m4.y), max(m4.z, m4.w)), 1.0e-30);
  let inv_m = 1.0 / m;
  var s4 = vec4<f32>();
  for (var i = 0u; i < c4; i++) {
    let v = x4[base + i] * inv_m;
    s4 += v * v;
  }
  let r = reciprocal_rms(m, (s4.x + s4.y) + (s4.z + s4.w));
  for (var i = 0u; i < c4; i++) { y4[base + i] = x4[base + i] * r * weight4[i]; }
  rstd[row] = r;
}

@group(0) @binding(1) var<storage, read> bx4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bweight4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dx4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> residual4: array<vec4<f32>>;

@compute @workgroup_size(ROW_WG)
fn rmsnorm_backward_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(gid, nwg);
  if (row >= p.n) { return; }
  let c4 = p.c / 4u;
  let base = row * c4;
  let r = brstd[row];
  var dot4 = vec4<f32>();
  for (var i = 0u; i < c4; i++) { dot4 += bweight4[i] * dy4[base + i] * (bx4[base + i] * r); }
  let mean_dot = ((dot4.x + dot4.y) + (dot4.z + dot4.w)) / f32(p.c);
  for (var i = 0u; i < c4; i++) {
    var g = r * (bweight4[i] * dy4[base + i] - (bx4[base + i] * r) * mean_dot);
    if (p.add_residual != 0u) { g += residual4[base + i]; }
    dx4[base + i] = g;
  }
}
