// AdamW (PyTorch torch.optim.AdamW semantics, decoupled weight decay) and global-norm gradient
// clipping (torch.nn.utils.clip_grad_norm_) without a host readback:
//   sumsq_partials_multi (one dispatch per six gradient tensors) → sumsq_finish → clip_factor → adamw_step_clipped
// All buffers are flat f32; param, grad, m and v of one step have the same element count n.
//
// The squared norm is reduced in a fixed order (fixed element → invocation assignment, fixed
// trees, partials summed in tensor order), never with atomics, so it is bit-for-bit reproducible.

override WG: u32 = 256; // a power of two (tree reductions halve it)

// ---- AdamW --------------------------------------------------------------------------------------

struct AdamParams {
  n: u32,           // elements
  row_stride: u32,  // x-stride of the 2-D dispatch grid, in workgroups × WG
  beta2: f32,       // 0.999
  // 1 - beta computed on the host in f64, as PyTorch passes it: 1 - f32(0.999) is 1.3e-5 off.
  one_minus_beta1: f32, // 0.1
  one_minus_beta2: f32, // 0.001
  eps: f32,         // 1e-8
  decay: f32,       // 1 - lr·weight_decay, applied to the parameter first
  step_size: f32,   // lr / (1 - beta1^t)
  bc2_sqrt: f32,    // sqrt(1 - beta2^t)
  grad_scale: f32,  // gradient multiplier (e.g. 1/loss scale); the clip factor multiplies it
}

@group(0) @binding(0) var<uniform> ap: AdamParams;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;    // m
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>; // v
@group(0) @binding(5) var<storage, read> clip: array<f32>;             // (1) clip factor

fn adamw_update(i: u32, scale: f32) {
  let g = grad[i] * scale;
  // torch: exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
  let m = exp_avg[i] + ap.one_minus_beta1 * (g - exp_avg[i]);
  let v = exp_avg_sq[i] * ap.beta2 + ap.one_minus_beta2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let denom = sqrt(v) / ap.bc2_sqrt + ap.eps; // eps > 0 keeps the division finite
  param[i] = param[i] * ap.decay - ap.step_size * m / denom;
}

@compute @workgroup_size(WG)
fn adamw_step(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * ap.row_stride + gid.x;
  if (i >= ap.n) { return; }
  adamw_update(i, ap.grad_scale);
}

// As adamw_step, with the gradient also multiplied by clip[0] (computed on the GPU by clip_factor).
@compute @workgroup_size(WG)
fn adamw_step_clipped(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * ap.row_stride + gid.x;
  if (i >= ap.n) { return; }
  adamw_update(i, ap.grad_scale * clip[0]);
}

// ---- Σ g² over many tensors ---------------------------------------------------------------------

// Scratch bindings of sumsq_finish and clip_factor: `values` is read, `partials` written.
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

var<workgroup> red: array<f32, WG>;

fn tree_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { red[lid] += red[lid + stride]; }
    workgroupBarrier();
  }
  return red[0];
}

// Up to six tensors per dispatch (bindings 1–6, partials at 7): workgroup (w, t) sums the squares
// of slice w of tensor t (elements w·WG + lane, strided by workgroups·WG) into its partial slot.
struct MultiParams {
  tensors: array<vec4<u32>, 6>, // per tensor: (elements n, first partial slot, workgroups, 0)
  scale: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> mp: MultiParams;
@group(0) @binding(1) var<storage, read> values0: array<f32>;
@group(0) @binding(2) var<storage, read> values1: array<f32>;
@group(0) @binding(3) var<storage, read> values2: array<f32>;
@group(0) @binding(4) var<storage, read> values3: array<f32>;
@group(0) @binding(5) var<storage, read> values4: array<f32>;
@group(0) @binding(6) var<storage, read> values5: array<f32>;
@group(0) @binding(7) var<storage, read_write> multi_partials: array<f32>;

fn value_of(t: u32, i: u32) -> f32 {
  switch t {
    case 0u: { return values0[i]; }
    case 1u: { return values1[i]; }
    case 2u: { return values2[i]; }
    case 3u: { return values3[i]; }
    case 4u: { return values4[i]; }
    default: { return values5[i]; }
  }
}

@compute @workgroup_size(WG)
fn sumsq_partials_multi(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wid.y;
  let info = mp.tensors[t];
  if (wid.x >= info.z) { return; } // the whole workgroup: no barrier is split
  var s = 0.0;
  for (var i = wid.x * WG + lid; i < info.x; i += info.z * WG) {
    let x = value_of(t, i) * mp.scale;
    s += x * x;
  }
  let total = tree_sum(lid, s);
  if (lid == 0u) { multi_partials[info.y + wid.x] = total; }
}

struct FinishParams {
  count: u32, // partials to sum
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> fp: FinishParams;
// binding 1 is read as `values` (the partials), binding 2 receives the (1) result in `partials`

@compute @workgroup_size(WG)
fn sumsq_finish(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < fp.count; i += WG) { s += values[i]; }
  let total = tree_sum(lid, s);
  if (lid == 0u) { partials[0] = total; }
}

// ---- clip factor --------------------------------------------------------------------------------

struct ClipParams {
  max_norm: f32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> cp: ClipParams;
// binding 1: `values` holds the (1) squared norm; binding 2: `partials` receives the (1) factor

// torch clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to at most 1.
@compute @workgroup_size(1)
fn clip_factor() {
  let norm = sqrt(values[0]);
  partials[0] = min(1.0, cp.max_norm / (norm + 1e-6));
}
