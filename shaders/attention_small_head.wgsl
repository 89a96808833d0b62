// Attention's thread-per-row kernels (forward, dq, dk/dv) for head sizes D = 16, 32, 48 or 64,
// with every head vector held in up to four named mat4x4 values instead of private arrays.
// Same maths, layouts, bindings and parameters as the row kernels of attention.wgsl (see there);
// src/ops/attention.ts picks these on software adapters. SwiftShader keeps a private array in
// memory and indexes it lane by lane; named matrices stay in registers (forward at B16 T64 H4
// D32: 195–222 → 71–97 ms on Node/SwiftShader). The backward kernels and the pair forward take
// two rows of one head per thread (Params.rows counts those work items): each key (or query) they
// load serves both rows, which costs a software adapter more than the maths done with it.

override WG: u32 = 64; // threads per workgroup

// D/16, substituted by the launcher: how many of the four matrices a head uses.
const HEAD_MATS: u32 = 4u;

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

fn q_offset(b: u32, t: u32, h: u32) -> u32 {
  return ((b * p.q_len + t) * p.heads + h) * p.head_vec4s;
}

fn kv_offset(b: u32, s: u32, g: u32) -> u32 {
  return ((b * p.key_rows + s) * p.kv_heads + g) * p.head_vec4s;
}

fn past_len() -> u32 {
  return p.key_len - p.q_len;
}

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

// ---- head vectors in registers ----------------------------------------------------------------

// A head vector of D = 16·HEAD_MATS floats: columns of m0 hold elements 0..15, and so on; the
// matrices past HEAD_MATS stay zero and are skipped.
struct Head {
  m0: mat4x4<f32>,
  m1: mat4x4<f32>,
  m2: mat4x4<f32>,
  m3: mat4x4<f32>,
}

fn head_dot(a: Head, b: Head) -> f32 {
  var s = dot(a.m0[0], b.m0[0]) + dot(a.m0[1], b.m0[1]) + dot(a.m0[2], b.m0[2]) + dot(a.m0[3], b.m0[3]);
  if (HEAD_MATS > 1u) { s += dot(a.m1[0], b.m1[0]) + dot(a.m1[1], b.m1[1]) + dot(a.m1[2], b.m1[2]) + dot(a.m1[3], b.m1[3]); }
  if (HEAD_MATS > 2u) { s += dot(a.m2[0], b.m2[0]) + dot(a.m2[1], b.m2[1]) + dot(a.m2[2], b.m2[2]) + dot(a.m2[3], b.m2[3]); }
  if (HEAD_MATS > 3u) { s += dot(a.m3[0], b.m3[0]) + dot(a.m3[1], b.m3[1]) + dot(a.m3[2], b.m3[2]) + dot(a.m3[3], b.m3[3]); }
  return s;
}

// a·x + w·y
fn head_mix(a: f32, x: Head, w: f32, y: Head) -> Head {
  var r = Head();
  r.m0 = x.m0 * a + y.m0 * w;
  if (HEAD_MATS > 1u) { r.m1 = x.m1 * a + y.m1 * w; }
  if (HEAD_MATS > 2u) { r.m2 = x.m2 * a + y.m2 * w; }
  if (HEAD_MATS > 3u) { r.m3 = x.m3 * a + y.m3 * w; }
  return r;
}

// x + w·y
fn head_add(x: Head, w: f32, y: Head) -> Head {
  var r = Head();
  r.m0 = x.m0 + y.m0 * w;
  if (HEAD_MATS > 1u) { r.m1 = x.m1 + y.m1 * w; }
  if (HEAD_MATS > 2u) { r.m2 = x.m2 + y.m2 * w; }
  if (HEAD_MATS > 3u) { r.m3 = x.m3 + y.m3 * w; }
  return r;
}

fn head_scaled(x: Head, w: f32) -> Head {
  return head_mix(w, x, 0.0, Head());
}

// Online softmax over a query row's keys: m the running max score, l = Σ exp(score − m), acc =
// Σ exp(score − m)·v, each rescaled when m grows.
struct OnlineSoftmax {
  m: f32,
  l: f32,
  acc: Head,
}

fn softmax_start() -> OnlineSoftmax {
  return OnlineSoftmax(-3.0e38, 0.0, Head());
}

fn softmax_add(st: OnlineSoftmax, score: f32, value: Head) -> OnlineSoftmax {
  let m_new = max(st.m, score);
  let rescale = exp(st.m - m_new);
  let weight = exp(score - m_new);
  return OnlineSoftmax(m_new, st.l * rescale + weight, head_mix(rescale, st.acc, weight, value));
}

// WGSL functions cannot take storage pointers, so each buffer has its loader and storer.
fn load_q(at: u32) -> Head {
  var h = Head();
  h.m0 = mat4x4<f32>(q[at], q[at + 1u], q[at + 2u], q[at + 3u]);
  if (HEAD_MATS > 1u) { h.m1 = mat4x4<f32>(q[at + 4u], q[at + 5u], q[at + 6u], q[at + 7u]); }
  if (HEAD_MATS > 2u) { h.m2 = mat4x4<f32>(q[at + 8u], q[at + 9u], q[at + 10u], q[at + 11u]); }
  if (HEAD_MATS > 3u) { h.m3 = mat4x4<f32>(q[at + 12u], q[at + 13u], q[at + 14u], q[at + 15u]); }
  return h;
}

fn load_k(at: u32) -> Head {
  var h = Head();
  h.m0 = mat4x4<f32>(k[at], k[at + 1u], k[at + 2u], k[at + 3u]);
  if (HEAD_MATS > 1u) { h.m1 = mat4x4<f32>(k[at + 4u], k[at + 5u], k[at + 6u], k[at + 7u]); }
  if (HEAD_MATS > 2u) { h.m2 = mat4x4<f32>(k[at + 8u], k[at + 9u], k[at + 10u], k[at + 11u]); }
  if (HEAD_MATS > 3u) { h.m3 = mat4x4<f32>(k[at + 12u], k[at + 13u], k[at + 14u], k[at + 15u]); }
  return h;
}

fn load_v(at: u32) -> Head {
  var h = Head();
  h.m0 = mat4x4<f32>(v[at], v[at + 1u], v[at + 2u], v[at + 3u]);
  if (HEAD_MATS > 1u) { h.m1 = mat4x4<f32>(v[at + 4u], v[at + 5u], v[at + 6u], v[at + 7u]); }
  if (HEAD_MATS > 2u) { h.m2 = mat4x4<f32>(v[at + 8u], v[at + 9u], v[at + 10u], v[at + 11u]); }
  if (HEAD_MATS > 3u) { h.m3 = mat4x4<f32>(v[at + 12u], v[at + 13u], v[at + 14u], v[at + 15u]); }
  return h;
}

// ---- forward: one thread per query row ----------------------------------------------------

@group(0) @binding(5) var<storage, read_write> out: array<vec4<f32>>; // (B,T,H,D)
@group(0) @binding(6) var<storage, read_write> lse: array<f32>;       // (B,H,T)

fn store_out(at: u32, h: Head) {
  for (var c = 0u; c < 4u; c++) {
    out[at + c] = h.m0[c];
    if (HEAD_MATS > 1u) { out[at + 4u + c] = h.m1[c]; }
    if (HEAD_MATS > 2u) { out[at + 8u + c] = h.m2[c]; }
    if (HEAD_MATS > 3u) { out[at + 12u + c] = h.m3[c]; }
  }
}

// A finished row: out = acc / l and lse = m + log l (0 and 0 for a row that saw no key).
fn store_softmax(at: u32, lse_at: u32, st: OnlineSoftmax) {
  store_out(at, head_scaled(st.acc, select(0.0, 1.0 / st.l, st.l > 0.0)));
  lse[lse_at] = select(0.0, st.m + log(st.l), st.l > 0.0);
}

@compute @workgroup_size(WG)
fn attention_forward_small_head(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * p.grid_x * WG + gid.x;
  if (row >= p.rows) { return; }
  let bht = query_row(row);
  let g = bht.y / (p.heads / p.kv_heads);
  let q_base = q_offset(bht.x, bht.z, bht.y);
  let query = head_scaled(load_q(q_base), p.scale);
  var st = softmax_start();
  let window = key_window(bht.x, bht.z);
  for (var s = window.x; s < window.y; s++) {
    let base = kv_offset(bht.x, s, g);
    st = softmax_add(st, head_dot(query, load_k(base)), load_v(base));
  }
  store_softmax(q_base, row, st);
}

// ---- forward: one thread per two query rows ---------------------------------------------------

// Two query rows t0, t1 of head h (kv head g) of batch row b, and where their head vectors start.
struct QueryPair {
  b: u32,
  h: u32,
  g: u32,
  t0: u32,
  t1: u32, // t0 + 1, or t0 again for an odd T's last pair (computed twice, stored once)
  base0: u32,
  base1: u32,
}

// Work item `item` of a dispatch over B·H·⌈T/2⌉ items, pair fastest: query rows 2·pair and
// 2·pair + 1 of head h.
fn query_pair(item: u32) -> QueryPair {
  let pairs = (p.q_len + 1u) / 2u;
  let b = item / (pairs * p.heads);
  let h = (item / pairs) % p.heads;
  let t0 = 2u * (item % pairs);
  let t1 = min(t0 + 1u, p.q_len - 1u);
  return QueryPair(b, h, h / (p.heads / p.kv_heads), t0, t1, q_offset(b, t0, h), q_offset(b, t1, h));
}

// The same as attention_forward_small_head for two query rows of one head at a time: each key and
// value is loaded once for both (a software adapter spends more on the loads than on the maths).
// A row updates only at keys of its own window. The single-row kernel above serves T = 1 (a
// decode step), where a pair would compute its one row twice.
@compute @workgroup_size(WG)
fn attention_forward_small_head_pair(@builtin(global_invocation_id) gid: vec3<u32>) {
  let item = gid.y * p.grid_x * WG + gid.x;
  if (item >= p.rows) { return; }
  let pair = query_pair(item);
  let query0 = head_scaled(load_q(pair.base0), p.scale);
  let query1 = head_scaled(load_q(pair.base1), p.scale);
  var row0 = softmax_start();
  var row1 = softmax_start();
  let w0 = key_window(pair.b, pair.t0);
  let w1 = key_window(pair.b, pair.t1);
  for (var s = min(w0.x, w1.x); s < max(w0.y, w1.y); s++) {
    let base = kv_offset(pair.b, s, pair.g);
    let key = load_k(base);
    let value = load_v(base);
    if (s >= w0.x && s < w0.y) { row0 = softmax_add(row0, head_dot(query0, key), value); }
    if (s >= w1.x && s < w1.y) { row1 = softmax_add(row1, head_dot(query1, key), value); }
  }
  let lse_at = (pair.b * p.heads + pair.h) * p.q_len + pair.t0;
  store_softmax(pair.base0, lse_at, row0);
  if (pair.t0 + 1u < p.q_len) { store_softmax(pair.base1, lse_at + 1u, row1); }
}

// ---- backward ---------------------------------------------------------------------------------

@group(0) @binding(5) var<storage, read> dout: array<vec4<f32>>;  // (B,T,H,D)
@group(0) @binding(6) var<storage, read> stats: array<vec2<f32>>; // (B,H,T): (lse, Δ)
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>; // (B,T,H,D)

fn load_dout(at: u32) -> Head {
  var h = Head();
  h.m0 = mat4x4<f32>(dout[at], dout[at + 1u], dout[at + 2u], dout[at + 3u]);
  if (HEAD_MATS > 1u) { h.m1 = mat4x4<f32>(dout[at + 4u], dout[at + 5u], dout[at + 6u], dout[at + 7u]); }
  if (HEAD_MATS > 2u) { h.m2 = mat4x4<f32>(dout[at + 8u], dout[at + 9u], dout[at + 10u], dout[at + 11u]); }
  if (HEAD_MATS > 3u) { h.m3 = mat4x4<f32>(dout[at + 12u], dout[at + 13u], dout[at + 14u], dout[at + 15u]); }
  return h;
}

fn store_dq(at: u32, h: Head) {
  for (var c = 0u; c < 4u; c++) {
    dq[at + c] = h.m0[c];
    if (HEAD_MATS > 1u) { dq[at + 4u + c] = h.m1[c]; }
    if (HEAD_MATS > 2u) { dq[at + 8u + c] = h.m2[c]; }
    if (HEAD_MATS > 3u) { dq[at + 12u + c] = h.m3[c]; }
  }
}

// dq = scale·Σ_s P·(dP − Δ)·k, one thread per two query rows of one head (work items as the pair
// forward's).
@compute @workgroup_size(WG)
fn attention_backward_query_small_head(@builtin(global_invocation_id) gid: vec3<u32>) {
  let item = gid.y * p.grid_x * WG + gid.x;
  if (item >= p.rows) { return; }
  let pair = query_pair(item);
  let query0 = head_scaled(load_q(pair.base0), p.scale);
  let query1 = head_scaled(load_q(pair.base1), p.scale);
  let grad0 = load_dout(pair.base0);
  let grad1 = load_dout(pair.base1);
  let row0 = (pair.b * p.heads + pair.h) * p.q_len + pair.t0;
  let stats0 = stats[row0];
  let stats1 = stats[row0 + pair.t1 - pair.t0];
  var acc0 = Head();
  var acc1 = Head();
  let w0 = key_window(pair.b, pair.t0);
  let w1 = key_window(pair.b, pair.t1);
  for (var s = min(w0.x, w1.x); s < max(w0.y, w1.y); s++) {
    let base = kv_offset(pair.b, s, pair.g);
    let key = load_k(base);
    let value = load_v(base);
    if (s >= w0.x && s < w0.y) {
      let dscore = exp(head_dot(query0, key) - stats0.x) * (head_dot(grad0, value) - stats0.y);
      acc0 = head_add(acc0, dscore, key);
    }
    if (s >= w1.x && s < w1.y) {
      let dscore = exp(head_dot(query1, key) - stats1.x) * (head_dot(grad1, value) - stats1.y);
      acc1 = head_add(acc1, dscore, key);
    }
  }
  store_dq(pair.base0, head_scaled(acc0, p.scale));
  if (pair.t0 + 1u < p.q_len) { store_dq(pair.base1, head_scaled(acc1, p.scale)); }
}

@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>; // (B,S,KV,D)
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>; // (B,S,KV,D)

fn store_dk_dv(at: u32, a: Head, b: Head) {
  for (var c = 0u; c < 4u; c++) {
    dk[at + c] = a.m0[c];
    dv[at + c] = b.m0[c];
    if (HEAD_MATS > 1u) { dk[at + 4u + c] = a.m1[c]; dv[at + 4u + c] = b.m1[c]; }
    if (HEAD_MATS > 2u) { dk[at + 8u + c] = a.m2[c]; dv[at + 8u + c] = b.m2[c]; }
    if (HEAD_MATS > 3u) { dk[at + 12u + c] = a.m3[c]; dv[at + 12u + c] = b.m3[c]; }
  }
}

// dk, dv, one thread per two key rows of one kv head: work item (b, g, pair) of B·KV·⌈S/2⌉, pair
// fastest, key rows 2·pair and 2·pair + 1 (the second past S when S is odd). Each gathers over the
// query heads of group g and the queries that see its key (query_window); invalid keys get zero
// gradients.
@compute @workgroup_size(WG)
fn attention_backward_key_small_head(@builtin(global_invocation_id) gid: vec3<u32>) {
  let item = gid.y * p.grid_x * WG + gid.x;
  if (item >= p.rows) { return; }
  let pairs = (p.key_len + 1u) / 2u;
  let s0 = 2u * (item % pairs);
  let s1 = min(s0 + 1u, p.key_len - 1u);
  let g = (item / pairs) % p.kv_heads;
  let b = item / (pairs * p.kv_heads);
  let group = p.heads / p.kv_heads;
  let k_base0 = kv_offset(b, s0, g);
  let k_base1 = kv_offset(b, s1, g);
  let key0 = head_scaled(load_k(k_base0), p.scale);
  let key1 = head_scaled(load_k(k_base1), p.scale);
  let value0 = load_v(k_base0);
  let value1 = load_v(k_base1);
  var dk_acc0 = Head();
  var dv_acc0 = Head();
  var dk_acc1 = Head();
  var dv_acc1 = Head();
  let w0 = query_window(b, s0);
  let w1 = query_window(b, s1);
  for (var h = g * group; h < (g + 1u) * group; h++) {
    for (var t = min(w0.x, w1.x); t < max(w0.y, w1.y); t++) {
      let base = q_offset(b, t, h);
      let row_stats = stats[(b * p.heads + h) * p.q_len + t];
      let query = load_q(base);
      let grad = load_dout(base);
      if (t >= w0.x && t < w0.y) {
        let prob = exp(head_dot(query, key0) - row_stats.x);
        let dscore = prob * (head_dot(grad, value0) - row_stats.y);
        dv_acc0 = head_add(dv_acc0, prob, grad);
        dk_acc0 = head_add(dk_acc0, dscore, query);
      }
      if (t >= w1.x && t < w1.y) {
        let prob = exp(head_dot(query, key1) - row_stats.x);
        let dscore = prob * (head_dot(grad, value1) - row_stats.y);
        dv_acc1 = head_add(dv_acc1, prob, grad);
        dk_acc1 = head_add(dk_acc1, dscore, query);
      }
    }
  }
  store_dk_dv(k_base0, head_scaled(dk_acc0, p.scale), dv_acc0);
  if (s0 + 1u < p.key_len) { store_dk_dv(k_base1, head_scaled(dk_acc1, p.scale), dv_acc1); }
}
