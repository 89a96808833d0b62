// Softmax cross-entropy over the vocabulary, one workgroup per row, with the backward fused in.
// logits is (N,V), targets is (N) u32, losses and logprobs are (N), dlogits is (N,V).
//
// A target is ignored when its top bit is set: 0xFFFFFFFF as u32, or Hugging Face's -100 stored
// as i32. Ignored rows get loss 0, log-probability 0 and a zero gradient row. A target that is
// neither ignored nor < V is a caller bug: its loss and log-probability are NaN (so the mean loss
// turns NaN and the bug shows) and its gradient row is zero.
//
// A row of V ≈ 152k does not fit a workgroup at once: each invocation keeps an online
// (max, Σexp(x - max)) pair over a strided slice of the row, and the pairs are merged in a tree.
// Subtracting the max keeps exp() ≤ 1 (no overflow at logits of ±1e4); the max element itself
// contributes exp(0) = 1, so the sum is ≥ 1 and log() never sees 0 for finite rows.

override WG: u32 = 256; // invocations per row; a power of two (tree reductions halve it)

const IGNORE_BIT: u32 = 0x80000000u;
const NEG_BIG: f32 = -3.0e38; // start of a running max; exp(NEG_BIG - x) is 0, never NaN

struct Params {
  rows: u32,       // N
  vocab: u32,      // V
  grad_scale: f32, // dlogits multiplier: 1 / normaliser (counted tokens of the whole batch)
  grid_x: u32,     // workgroups along x; rows beyond it continue along y
}

@group(0) @binding(0) var<uniform> p: Params;
// read_write so that the in-place backward can overwrite it with dlogits; the forward only reads.
@group(0) @binding(1) var<storage, read_write> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> logprobs: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

var<workgroup> red_max: array<f32, WG>;
var<workgroup> red_sum: array<f32, WG>;
var<workgroup> row_target: u32;

struct RowStats {
  max: f32, // largest logit of the row
  sum: f32, // Σ exp(x - max), ≥ 1
}

fn row_index(wid: vec3<u32>) -> u32 {
  return wid.y * p.grid_x + wid.x;
}

// The row's target, loaded by one invocation and shared as a uniform value (so that branching
// on it may skip the barriers of the reduction for the whole workgroup).
fn load_target(row: u32, lid: u32) -> u32 {
  if (lid == 0u) { row_target = targets[row]; }
  return workgroupUniformLoad(&row_target);
}

fn quiet_nan() -> f32 {
  let bits = 0x7fc00000u; // a runtime value: a const-expression may not be NaN
  return bitcast<f32>(bits);
}

fn row_stats(base: u32, lid: u32) -> RowStats {
  var m = NEG_BIG;
  var s = 0.0;
  for (var i = lid; i < p.vocab; i += WG) {
    let x = logits[base + i];
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  red_max[lid] = m;
  red_sum[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      let m_a = red_max[lid];
      let m_b = red_max[lid + stride];
      let merged = max(m_a, m_b);
      red_sum[lid] = red_sum[lid] * exp(m_a - merged) + red_sum[lid + stride] * exp(m_b - merged);
      red_max[lid] = merged;
    }
    workgroupBarrier();
  }
  return RowStats(red_max[0], red_sum[0]);
}

// -log softmax(x)[t] = (max - x_t) + log Σexp(x - max); the difference is taken first so that
// large logits do not cancel.
fn nll(stats: RowStats, target_logit: f32) -> f32 {
  return (stats.max - target_logit) + log(max(stats.sum, 1e-30));
}

// Per-row loss and log p(target) only: scoring completions, evaluation.
@compute @workgroup_size(WG)
fn ce_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid);
  if (row >= p.rows) { return; }
  let t = load_target(row, lid);
  if (t >= IGNORE_BIT || t >= p.vocab) {
    if (lid == 0u) {
      let value = select(quiet_nan(), 0.0, t >= IGNORE_BIT);
      losses[row] = value;
      logprobs[row] = value;
    }
    return;
  }
  let base = row * p.vocab;
  let stats = row_stats(base, lid);
  if (lid == 0u) {
    let loss = nll(stats, logits[base + t]);
    losses[row] = loss;
    logprobs[row] = -loss;
  }
}

// Forward plus dlogits = (softmax - onehot(t)) · grad_scale into a separate buffer.
@compute @workgroup_size(WG)
fn ce_fused(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid);
  if (row >= p.rows) { return; }
  let t = load_target(row, lid);
  let base = row * p.vocab;
  if (t >= IGNORE_BIT || t >= p.vocab) {
    for (var i = lid; i < p.vocab; i += WG) { dlogits[base + i] = 0.0; }
    if (lid == 0u) {
      let value = select(quiet_nan(), 0.0, t >= IGNORE_BIT);
      losses[row] = value;
      logprobs[row] = value;
    }
    return;
  }
  let stats = row_stats(base, lid);
  if (lid == 0u) {
    let loss = nll(stats, logits[base + t]);
    losses[row] = loss;
    logprobs[row] = -loss;
  }
  let scale = p.grad_scale / max(stats.sum, 1e-30);
  for (var i = lid; i < p.vocab; i += WG) {
    let onehot = select(0.0, p.grad_scale, i == t);
    dlogits[base + i] = exp(logits[base + i] - stats.max) * scale - onehot;
  }
}

// As ce_fused, but dlogits overwrites logits (saves an (N,V) buffer during training).
@compute @workgroup_size(WG)
fn ce_fused_inplace(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid);
  if (row >= p.rows) { return; }
  let t = load_target(row, lid);
  let base = row * p.vocab;
  if (t >= IGNORE_BIT || t >= p.vocab) {
    for (var i = lid; i < p.vocab; i += WG) { logits[base + i] = 0.0; }
    if (lid == 0u) {
      let value = select(quiet_nan(), 0.0, t >= IGNORE_BIT);
      losses[row] = value;
      logprobs[row] = value;
    }
    return;
  }
  // Read before row_stats: its barriers order this read before any invocation overwrites x_t.
  let target_logit = logits[base + t];
  let stats = row_stats(base, lid);
  if (lid == 0u) {
    let loss = nll(stats, target_logit);
    losses[row] = loss;
    logprobs[row] = -loss;
  }
  let scale = p.grad_scale / max(stats.sum, 1e-30);
  for (var i = lid; i < p.vocab; i += WG) {
    let onehot = select(0.0, p.grad_scale, i == t);
    logits[base + i] = exp(logits[base + i] - stats.max) * scale - onehot;
  }
}

// ---- loss reduction: Σ losses / normaliser into one scalar, so training reads back one value ----

struct ReduceParams {
  rows: u32,       // N
  normaliser: f32, // divide the sum by this; 0 → by the number of counted rows of this call
  accumulate: u32, // 1: add to total (micro-batches of one accumulated step), 0: overwrite
  _pad: u32,
}

@group(0) @binding(0) var<uniform> rp: ReduceParams;
@group(0) @binding(1) var<storage, read> row_losses: array<f32>;
// binding 2 is `targets`
@group(0) @binding(3) var<storage, read_write> total: array<f32>; // [mean loss, counted rows]

var<workgroup> red_count: array<f32, WG>;

// One workgroup, fixed assignment of rows to invocations and a fixed tree: deterministic.
@compute @workgroup_size(WG)
fn ce_reduce(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  var c = 0.0;
  for (var i = lid; i < rp.rows; i += WG) {
    // Out-of-range targets count too: their NaN loss must reach the mean.
    if (targets[i] < IGNORE_BIT) {
      s += row_losses[i];
      c += 1.0;
    }
  }
  red_sum[lid] = s;
  red_count[lid] = c;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      red_sum[lid] += red_sum[lid + stride];
      red_count[lid] += red_count[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let count = red_count[0];
    // No counted rows: the mean is 0 rather than 0/0 (PyTorch would give NaN).
    let divisor = select(max(count, 1.0), rp.normaliser, rp.normaliser > 0.0);
    var mean = red_sum[0] / divisor;
    var counted = count;
    if (rp.accumulate == 1u) {
      mean += total[0];
      counted += total[1];
    }
    total[0] = mean;
    total[1] = counted;
  }
}
