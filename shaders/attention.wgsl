// Causal multi-head attention with grouped-query heads, flash-attention style: the forward keeps
// only the softmax log-sum-exp of each query row, and the backward recomputes probabilities.
//   q is (B,T,H,D), k and v are (B,Srows,KV,D) (Srows = S, or a cache's capacity Smax),
//   out is (B,T,H,D), lse is (B,H,T); query head h reads kv head h / (H/KV).
// Query t sits at absolute position past + t (past = S − T) and may attend key s when
//   first[b] ≤ s < end[b]   (valid keys of its batch row; all of [0, S) without a key range)
//   s ≤ past + t            (causal)
// or, for sequences packed side by side into one row (training, S = T), per token: query t
// attends keys [first[b,t], t] of its own sequence [first, end).
// A query with no such key (left padding) gets output 0 and lse 0 and receives no gradient.
//
// Two ways to spread the work:
// - training and prefill (many rows): one thread per query row (or key row in the backward),
//   whole head vectors in registers, vec4 loads; no barriers, which matters most on software
//   adapters. Threads next to each other read the same k/v (or q/dout) rows.
// - decode (T = 1, few rows, long caches): one workgroup per query row, keys in parallel.
// Every sum runs in a fixed order (deterministic); dk/dv gather over their query rows rather than
// scattering into them, so no atomics are needed.

override WG: u32 = 64; // threads per workgroup

// D/4, substituted by the launcher so head vectors fit private arrays (WGSL cannot size those
// with an override).
const HEAD_VEC4S: u32 = 16u;

struct Params {
  batch: u32,         // B
  q_len: u32,         // T
  key_len: u32,       // S: keys in use, past + T
  key_rows: u32,      // rows per batch row in the k/v buffers: S, or a cache's capacity Smax
  heads: u32,         // H
  kv_heads: u32,      // KV
  head_vec4s: u32,    // D/4
  use_key_range: u32, // 0: every key is valid; 1: key_range holds [first, end) per batch row; 2: per token (packed sequences)
  scale: f32,         // 1/sqrt(D)
  grid_x: u32,        // workgroups along x of the 2-D dispatch grid
  rows: u32,          // rows of work in this dispatch
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> key_range: array<u32>; // (B,2) [first, end) per row, or (B,T,2) per token

// Offsets in vec4s of a q/out/dout row and of a k/v row.
fn q_offset(b: u32, t: u32, h: u32) -> u32 {
  return ((b * p.q_len + t) * p.heads + h) * p.head_vec4s;
}

fn kv_offset(b: u32, s: u32, g: u32) -> u32 {
  return ((b * p.key_rows + s) * p.kv_heads + g) * p.head_vec4s;
}

fn past_len() -> u32 {
  return p.key_len - p.q_len;
}

// Valid keys [first, end) of batch row b, before the causal limit.
fn valid_keys(b: u32) -> vec2<u32> {
  if (p.use_key_range != 1u) { return vec2<u32>(0u, p.key_len); }
  return vec2<u32>(key_range[2u * b], min(key_range[2u * b + 1u], p.key_len));
}

// Packed sequences (use_key_range 2, no cache: S = T): the sequence [first, end) that token t of
// batch row b belongs to. Query t attends keys [first, t]; key t is seen by queries [t, end).
fn token_sequence(b: u32, t: u32) -> vec2<u32> {
  let at = 2u * (b * p.q_len + t);
  return vec2<u32>(key_range[at], min(key_range[at + 1u], p.key_len));
}

// Keys [first, end) that query t of batch row b attends (empty when first ≥ end).
fn key_window(b: u32, t: u32) -> vec2<u32> {
  var valid = valid_keys(b);
  if (p.use_key_range == 2u) { valid = token_sequence(b, t); }
  let end = min(valid.y, past_len() + t + 1u);
  return vec2<u32>(valid.x, max(valid.x, end));
}

// Queries [first, end) that see key s of batch row b (none when first ≥ end).
fn query_window(b: u32, s: u32) -> vec2<u32> {
  if (p.use_key_range == 2u) { return vec2<u32>(s, token_sequence(b, s).y); }
  let valid = valid_keys(b);
  if (s < valid.x || s >= valid.y) { return vec2<u32>(p.q_len, p.q_len); }
  return vec2<u32>(select(0u, s - past_len(), s > past_len()), p.q_len);
}

// Query row (b,h,t) of a row index ordered (b, h, t) with t fastest, the lse order.
fn query_row(row: u32) -> vec3<u32> {
  return vec3<u32>(row / (p.q_len * p.heads), (row / p.q_len) % p.heads, row % p.q_len);
}

// ---- forward, one thread per query row ------------------------------------------------------

@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>; // (B,T,H,D)
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;       // (B,H,T)

@compute @workgroup_size(WG)
fn attention_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.grid_x * WG + gid.x;
  if (row >= p.rows) { return; }
  let bht = query_row(row);
  let g = bht.y / (p.heads / p.kv_heads);
  let q_base = q_offset(bht.x, bht.z, bht.y);
  var query: array<vec4<f32>, HEAD_VEC4S>;
  var acc: array<vec4<f32>, HEAD_VEC4S>;
  for (var i = 0u; i < HEAD_VEC4S; i++) {
    query[i] = q[q_base + i] * p.scale;
    acc[i] = vec4<f32>(0.0);
  }
  let window = key_window(bht.x, bht.z);
  // Online softmax: m is the running max (a finite stand-in for −∞ at first, so exp(m − score)
  // underflows to 0), l = Σ exp(score − m), acc = Σ exp(score − m)·v.
  var m = -3.0e38;
  var l = 0.0;
  for (var s = window.x; s < window.y; s++) {
    let base = kv_offset(bht.x, s, g);
    var score = 0.0;
    for (var i = 0u; i < HEAD_VEC4S; i++) { score += dot(query[i], k[base + i]); }
    if (score > m) {
      let rescale = exp(m - score);
      l *= rescale;
      for (var i = 0u; i < HEAD_VEC4S; i++) { acc[i] *= rescale; }
      m = score;
    }
    let weight = exp(score - m);
    l += weight;
    for (var i = 0u; i < HEAD_VEC4S; i++) { acc[i] += weight * v[base + i]; }
  }
  // l ≥ 1 once any key was seen (the maximum contributes exp(0)); 0 means a fully masked row.
  let inv_l = select(0.0, 1.0 / l, l > 0.0);
  for (var i = 0u; i < HEAD_VEC4S; i++) { out[q_base + i] = acc[i] * inv_l; }
  lse[row] = select(0.0, m + log(l), l > 0.0);
}

// ---- decode, one workgroup per query row ----------------------------------------------------
// Keys go in chunks of WG: thread j scores key j of the chunk; then thread (c, group) sums
// vec4 column c of p·v over the keys j ≡ group (mod WG / (D/4)); the groups are added at the end.

var<workgroup> query_row_shared: array<vec4<f32>, HEAD_VEC4S>;
var<workgroup> chunk_scores: array<f32, WG>;
var<workgroup> chunk_weights: array<f32, WG>;
var<workgroup> partial_acc: array<vec4<f32>, WG>;
var<workgroup> partial_l: array<f32, WG>;
var<workgroup> shared_window: vec2<u32>;

@compute @workgroup_size(WG)
fn attention_decode(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * p.grid_x + wid.x;
  if (row >= p.rows) { return; }
  let bht = query_row(row);
  let g = bht.y / (p.heads / p.kv_heads);
  let q_base = q_offset(bht.x, bht.z, bht.y);
  if (lid < HEAD_VEC4S) { query_row_shared[lid] = q[q_base + lid] * p.scale; }
  if (lid == 0u) { shared_window = key_window(bht.x, bht.z); }
  workgroupBarrier();
  let window = workgroupUniformLoad(&shared_window);
  let groups = WG / HEAD_VEC4S;
  let column = lid % HEAD_VEC4S;
  let group = lid / HEAD_VEC4S; // threads with group ≥ groups only score keys

  var m = -3.0e38;
  var l = 0.0;
  var acc = vec4<f32>(0.0);
  for (var c0 = window.x; c0 < window.y; c0 += WG) {
    let count = min(WG, window.y - c0);
    if (lid < count) {
      let base = kv_offset(bht.x, c0 + lid, g);
      var score = 0.0;
      for (var i = 0u; i < HEAD_VEC4S; i++) { score += dot(query_row_shared[i], k[base + i]); }
      chunk_scores[lid] = score;
    }
    workgroupBarrier();
    var chunk_max = chunk_scores[0];
    for (var j = 1u; j < count; j++) { chunk_max = max(chunk_max, chunk_scores[j]); }
    let m_new = max(m, chunk_max);
    if (lid < count) { chunk_weights[lid] = exp(chunk_scores[lid] - m_new); }
    workgroupBarrier();
    let rescale = exp(m - m_new);
    l *= rescale;
    acc *= rescale;
    if (group < groups) {
      for (var j = group; j < count; j += groups) {
        l += chunk_weights[j];
        acc += chunk_weights[j] * v[kv_offset(bht.x, c0 + j, g) + column];
      }
    }
    m = m_new;
    workgroupBarrier(); // the next chunk rewrites the chunk arrays
  }
  partial_acc[lid] = acc;
  partial_l[lid] = l;
  workgroupBarrier();
  if (lid < HEAD_VEC4S) {
    var total = vec4<f32>(0.0);
    var total_l = 0.0;
    for (var j = 0u; j < groups; j++) {
      total += partial_acc[j * HEAD_VEC4S + lid];
      total_l += partial_l[j * HEAD_VEC4S + lid];
    }
    out[q_base + lid] = select(vec4<f32>(0.0), total / total_l, total_l > 0.0);
    if (lid == 0u) { lse[row] = select(0.0, m + log(total_l), total_l > 0.0); }
  }
}

// ---- backward -------------------------------------------------------------------------------
// With P = softmax(scores) and dP = dout·vᵀ, d(score) = P·(dP − Δ), Δ = Σ_s P·dP = dout·out.
// dq = scale·Σ_s d(score)·k,  dk = scale·Σ_(h,t) d(score)·q,  dv = Σ_(h,t) P·dout.

@group(0) @binding(1) var<storage, read> fwd_out: array<vec4<f32>>;         // (B,T,H,D)
@group(0) @binding(2) var<storage, read> grad_out: array<vec4<f32>>;        // (B,T,H,D)
@group(0) @binding(3) var<storage, read> fwd_lse: array<f32>;               // (B,H,T)
@group(0) @binding(4) var<storage, read_write> stats_out: array<vec2<f32>>; // (B,H,T): (lse, Δ)

// One thread per query row: Δ = dout·out, stored beside lse so later kernels read one vec2.
@compute @workgroup_size(WG)
fn attention_backward_rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.grid_x * WG + gid.x;
  if (row >= p.rows) { return; }
  let bht = query_row(row);
  let base = q_offset(bht.x, bht.z, bht.y);
  var delta = 0.0;
  for (var i = 0u; i < HEAD_VEC4S; i++) { delta += dot(grad_out[base + i], fwd_out[base + i]); }
  stats_out[row] = vec2<f32>(fwd_lse[row], delta);
}

@group(0) @binding(5) var<storage, read> dout: array<vec4<f32>>;       // (B,T,H,D)
@group(0) @binding(6) var<storage, read> stats: array<vec2<f32>>;      // (B,H,T): (lse, Δ)
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>;   // (B,T,H,D)

// One thread per query row (b,h,t), over the same key window as the forward.
@compute @workgroup_size(WG)
fn attention_backward_query(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.grid_x * WG + gid.x;
  if (row >= p.rows) { return; }
  let bht = query_row(row);
  let g = bht.y / (p.heads / p.kv_heads);
  let q_base = q_offset(bht.x, bht.z, bht.y);
  var query: array<vec4<f32>, HEAD_VEC4S>;
  var grad: array<vec4<f32>, HEAD_VEC4S>;
  var acc: array<vec4<f32>, HEAD_VEC4S>;
  for (var i = 0u; i < HEAD_VEC4S; i++) {
    query[i] = q[q_base + i] * p.scale;
    grad[i] = dout[q_base + i];
    acc[i] = vec4<f32>(0.0);
  }
  let row_stats = stats[row];
  let window = key_window(bht.x, bht.z);
  for (var s = window.x; s < window.y; s++) {
    let base = kv_offset(bht.x, s, g);
    var score = 0.0;
    var dprob = 0.0;
    for (var i = 0u; i < HEAD_VEC4S; i++) {
      score += dot(query[i], k[base + i]);
      dprob += dot(grad[i], v[base + i]);
    }
    let dscore = exp(score - row_stats.x) * (dprob - row_stats.y);
    for (var i = 0u; i < HEAD_VEC4S; i++) { acc[i] += dscore * k[base + i]; }
  }
  for (var i = 0u; i < HEAD_VEC4S; i++) { dq[q_base + i] = acc[i] * p.scale; }
}

@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>; // (B,S,KV,D)
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>; // (B,S,KV,D)

// One thread per key row (b,g,s), ordered (b, g, s) with s fastest: gathers over every query
// head of group g and every query t ≥ s − past (each of which sees key s when s is valid), or
// every later query of key s's own packed sequence.
// Invalid keys get zero gradients.
@compute @workgroup_size(WG)
fn attention_backward_key(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.grid_x * WG + gid.x;
  if (row >= p.rows) { return; }
  let s = row % p.key_len;
  let g = (row / p.key_len) % p.kv_heads;
  let b = row / (p.key_len * p.kv_heads);
  let group = p.heads / p.kv_heads;
  let k_base = kv_offset(b, s, g);
  var key: array<vec4<f32>, HEAD_VEC4S>;
  var value: array<vec4<f32>, HEAD_VEC4S>;
  var dk_acc: array<vec4<f32>, HEAD_VEC4S>;
  var dv_acc: array<vec4<f32>, HEAD_VEC4S>;
  for (var i = 0u; i < HEAD_VEC4S; i++) {
    key[i] = k[k_base + i];
    value[i] = v[k_base + i];
    dk_acc[i] = vec4<f32>(0.0);
    dv_acc[i] = vec4<f32>(0.0);
  }
  let queries = query_window(b, s);
  for (var h = g * group; h < (g + 1u) * group; h++) {
    for (var t = queries.x; t < queries.y; t++) {
      let base = q_offset(b, t, h);
      let row_stats = stats[(b * p.heads + h) * p.q_len + t];
      var score = 0.0;
      var dprob = 0.0;
      for (var i = 0u; i < HEAD_VEC4S; i++) {
        score += dot(q[base + i] * p.scale, key[i]);
        dprob += dot(dout[base + i], value[i]);
      }
      let prob = exp(score - row_stats.x);
      let dscore = prob * (dprob - row_stats.y);
      for (var i = 0u; i < HEAD_VEC4S; i++) {
        dv_acc[i] += prob * dout[base + i];
        dk_acc[i] += dscore * q[base + i];
      }
    }
  }
  for (var i = 0u; i < HEAD_VEC4S; i++) {
    dk[k_base + i] = dk_acc[i] * p.scale;
    dv[k_base + i] = dv_acc[i];
  }
}

// ---- KV cache -------------------------------------------------------------------------------

struct AppendParams {
  n: u32,           // vec4s of new_k: B·T·KV·D/4
  batch_elems: u32, // T·KV·D/4: vec4s of new_k per batch row
  cache_elems: u32, // Smax·KV·D/4: vec4s of the cache per batch row
  offset: u32,      // position·KV·D/4: where row `position` starts within a batch row
  row_stride: u32,  // x-stride of the 2-D dispatch grid, in workgroups × WG
}

@group(0) @binding(0) var<uniform> ap: AppendParams;
@group(0) @binding(1) var<storage, read> new_k: array<vec4<f32>>;         // (B,T,KV,D)
@group(0) @binding(2) var<storage, read> new_v: array<vec4<f32>>;         // (B,T,KV,D)
@group(0) @binding(3) var<storage, read_write> cache_k: array<vec4<f32>>; // (B,Smax,KV,D)
@group(0) @binding(4) var<storage, read_write> cache_v: array<vec4<f32>>; // (B,Smax,KV,D)

// cache[b, position + t] = new[b, t] for keys and values in one pass.
@compute @workgroup_size(WG)
fn kv_cache_append(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * ap.row_stride + gid.x;
  if (i >= ap.n) { return; }
  let b = i / ap.batch_elems;
  let dst = b * ap.cache_elems + ap.offset + i % ap.batch_elems;
  cache_k[dst] = new_k[i];
  cache_v[dst] = new_v[i];
}
