// Token sampling on the GPU, one workgroup per row: greedy, temperature, top-k, top-p (nucleus),
// seeded. logits is (B,V), tokens is (B) u32, settings (per-row entry point) is (B) RowSettings.
// Logits must be finite or -inf (a masked token); +inf and NaN are not supported.
//
// Order of the filters, as Hugging Face's warpers run them: temperature, then top-k, then top-p
// over the top-k-renormalised distribution. Both filters keep the tokens whose logit is ≥ a
// threshold, so tokens tied at the threshold are all kept (HF's top-k does the same).
//
// Thresholds without sorting: a logit maps to an order-preserving u32 key, and each threshold
// is found by bisection over the 2^32 keys (at most 32 passes over the row, each a workgroup
// reduction; fewer, because each pass also snaps the interval to the keys present in the row). Top-k: the smallest key t with count(key > t) < k (exact: integer counts).
// Top-p: the smallest key t ≥ t_k with mass(key > t) < top_p · mass(key ≥ t_k), where mass
// sums w = exp((x - max) / T) in f32; HF's rule "drop a token when the cumulative probability of
// the tokens below it is ≤ 1 - top_p" keeps exactly these tokens. The token is then drawn by
// inverse CDF in index order: u · Σw over the kept tokens, located by per-invocation contiguous
// chunks and a prefix sum over the chunks.
//
// Random numbers are counter-based: u = pcg(pcg(pcg(seed) + step) + place) / 2^32 (top 24 bits),
// reproducible from (seed, step, place) alone, where place is the row's index in the batch, or with
// per-row settings the place it names (a row batched with others draws as it did at that place in
// a smaller batch); src/ops/sampling.ts computes the same draw.

override WG: u32 = 256; // invocations per row, a power of two

struct Params {
  rows: u32,        // B
  vocab: u32,       // V
  step: u32,        // generation step: part of the random counter
  grid_x: u32,      // workgroups along x; rows beyond it continue along y
  // Shared settings (sample_shared only):
  temperature: f32, // 0 → greedy
  top_k: u32,       // 0 → off
  top_p: f32,       // ≥ 1 → off
  seed: u32,
}

struct RowSettings {
  temperature: f32,
  top_k: u32,
  top_p: f32,
  seed: u32,
  place: u32, // the row index the random draw is keyed by
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> settings: array<RowSettings>;

var<workgroup> red_f: array<f32, WG>;
var<workgroup> red_u: array<u32, WG>;
var<workgroup> red_u2: array<u32, WG>;
var<workgroup> row_settings: RowSettings;
var<workgroup> picked: u32;

const NONE: u32 = 0xffffffffu;
const NEG_BIG: f32 = -3.0e38;

// Order-preserving map f32 → u32 (finite values and ±inf); -0 maps with +0.
fn key_of(x: f32) -> u32 {
  var bits = bitcast<u32>(x);
  if (bits == 0x80000000u) { bits = 0u; }
  if ((bits & 0x80000000u) != 0u) { return ~bits; }
  return bits | 0x80000000u;
}

// PCG hash (permuted congruential generator, one round): a bijection on u32.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Uniform in [0, 1) with 24 random bits: exactly representable in f32 and f64.
fn uniform_draw(seed: u32, step: u32, place: u32) -> f32 {
  let h = pcg(pcg(pcg(seed) + step) + place);
  return f32(h >> 8u) * (1.0 / 16777216.0);
}

// Workgroup reductions. Each starts with a barrier so that earlier reads of red_f/red_u are done,
// and returns a uniform value (every invocation gets it; branching on it may contain barriers).
fn sum_all(lid: u32, v: f32) -> f32 {
  workgroupBarrier();
  red_f[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { red_f[lid] += red_f[lid + stride]; }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red_f[0]);
}

fn max_all(lid: u32, v: f32) -> f32 {
  workgroupBarrier();
  red_f[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { red_f[lid] = max(red_f[lid], red_f[lid + stride]); }
    workgroupBarrier();
  }
  return workgroupUniformLoad(&red_f[0]);
}

// Index of the largest logit; ties go to the lowest index.
fn argmax_row(base: u32, lid: u32) -> u32 {
  var best = NEG_BIG;
  var best_i = NONE;
  for (var i = lid; i < p.vocab; i += WG) {
    let x = logits[base + i];
    if (x > best || best_i == NONE) { best = x; best_i = i; } // strided: the first hit is lowest
  }
  workgroupBarrier();
  red_f[lid] = best;
  red_u[lid] = best_i;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) {
      let x = red_f[lid + stride];
      let j = red_u[lid + stride];
      let better = j != NONE && (red_u[lid] == NONE || x > red_f[lid] || (x == red_f[lid] && j < red_u[lid]));
      if (better) { red_f[lid] = x; red_u[lid] = j; }
    }
    workgroupBarrier();
  }
  return red_u[0];
}

// Unnormalised probability of logit x at temperature t, relative to the row max m.
fn weight(x: f32, m: f32, t: f32) -> f32 {
  return exp((x - m) / t);
}

// Bisection for the smallest key t in [lo, hi] with measure(key > t) < limit, where measure is
// a count (top-k) or the mass Σ weight (top-p), and the predicate holds at hi (an element's key).
// The predicate only changes at keys of elements, so each pass also snaps the interval to the
// nearest element keys around mid: this ends the search as soon as a single candidate is left
// (a handful of passes for small vocabularies, at most 32).
fn threshold_search(base: u32, lid: u32, by_mass: bool, limit: f32, m: f32, t: f32, lo_in: u32, hi_in: u32) -> u32 {
  var lo = lo_in;
  var hi = hi_in;
  while (lo < hi) {
    let mid = lo + (hi - lo) / 2u;
    var measure = 0.0; // counts are exact in f32 up to 2^24 > V
    var below = 0u;    // largest element key in [lo, mid] (0: none)
    var above = NONE;  // smallest element key > mid
    for (var i = lid; i < p.vocab; i += WG) {
      let x = logits[base + i];
      let key = key_of(x);
      if (key > mid) {
        measure += select(1.0, weight(x, m, t), by_mass);
        above = min(above, key);
      } else if (key >= lo) {
        below = max(below, key);
      }
    }
    workgroupBarrier();
    red_f[lid] = measure;
    red_u[lid] = below;
    red_u2[lid] = above;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
      if (lid < stride) {
        red_f[lid] += red_f[lid + stride];
        red_u[lid] = max(red_u[lid], red_u[lid + stride]);
        red_u2[lid] = min(red_u2[lid], red_u2[lid + stride]);
      }
      workgroupBarrier();
    }
    let total = workgroupUniformLoad(&red_f[0]);
    if (total < limit) {
      // Between the largest key ≤ mid and mid the predicate does not change.
      hi = max(workgroupUniformLoad(&red_u[0]), lo);
    } else {
      // Nor between mid and the next key; hi is an element key > mid, so `above` exists.
      lo = workgroupUniformLoad(&red_u2[0]);
    }
  }
  return lo;
}

fn sample_row(row: u32, lid: u32, s: RowSettings) {
  let base = row * p.vocab;
  if (s.temperature <= 0.0) {
    let token = argmax_row(base, lid);
    if (lid == 0u) { tokens[row] = token; }
    return;
  }
  var local_max = NEG_BIG;
  for (var i = lid; i < p.vocab; i += WG) { local_max = max(local_max, logits[base + i]); }
  let m = max_all(lid, local_max);
  let key_max = key_of(m);

  var threshold = 0u; // keep tokens with key ≥ threshold; 0 keeps all
  if (s.top_k > 0u && s.top_k < p.vocab) {
    threshold = threshold_search(base, lid, false, f32(s.top_k), m, s.temperature, 0u, key_max);
  }
  if (s.top_p < 1.0) {
    var kept_mass = 0.0;
    for (var i = lid; i < p.vocab; i += WG) {
      let x = logits[base + i];
      if (key_of(x) >= threshold) { kept_mass += weight(x, m, s.temperature); }
    }
    let limit = s.top_p * sum_all(lid, kept_mass);
    threshold = threshold_search(base, lid, true, limit, m, s.temperature, threshold, key_max);
  }

  // Inverse CDF in index order: invocation `lid` owns the contiguous chunk [start, end).
  let chunk = (p.vocab + WG - 1u) / WG;
  let start = min(lid * chunk, p.vocab);
  let end = min(start + chunk, p.vocab);
  var part = 0.0;
  for (var i = start; i < end; i++) {
    let x = logits[base + i];
    if (key_of(x) >= threshold) { part += weight(x, m, s.temperature); }
  }
  // Inclusive prefix sum over the chunks (Hillis–Steele), in red_f.
  workgroupBarrier();
  red_f[lid] = part;
  if (lid == 0u) { picked = NONE; }
  workgroupBarrier();
  for (var offset = 1u; offset < WG; offset = offset << 1u) {
    var add = 0.0;
    if (lid >= offset) { add = red_f[lid - offset]; }
    workgroupBarrier();
    red_f[lid] += add;
    workgroupBarrier();
  }
  let total = red_f[WG - 1u];
  let draw_point = uniform_draw(s.seed, p.step, s.place) * total;
  // Chunk boundaries come from the same prefix values, so the ranges tile [0, total) exactly.
  let before = select(0.0, red_f[max(lid, 1u) - 1u], lid > 0u);
  let after = red_f[lid];
  if (part > 0.0 && draw_point >= before && draw_point < after) {
    var cumulative = before;
    var last_kept = NONE;
    var choice = NONE;
    for (var i = start; i < end; i++) {
      let x = logits[base + i];
      if (key_of(x) >= threshold) {
        last_kept = i;
        cumulative += weight(x, m, s.temperature);
        if (cumulative > draw_point) { choice = i; break; }
      }
    }
    picked = select(choice, last_kept, choice == NONE); // rounding ran past the chunk
  }
  let chosen = workgroupUniformLoad(&picked);
  if (chosen != NONE) {
    if (lid == 0u) { tokens[row] = chosen; }
    return;
  }
  // draw_point rounded up to total: the last kept token of the row.
  var last = 0u;
  for (var i = lid; i < p.vocab; i += WG) {
    if (key_of(logits[base + i]) >= threshold) { last = max(last, i); }
  }
  workgroupBarrier();
  red_u[lid] = last;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { red_u[lid] = max(red_u[lid], red_u[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u) { tokens[row] = red_u[0]; }
}

@compute @workgroup_size(WG)
fn sample_shared(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * p.grid_x + wid.x;
  if (row >= p.rows) { return; }
  sample_row(row, lid, RowSettings(p.temperature, p.top_k, p.top_p, p.seed, row));
}

@compute @workgroup_size(WG)
fn sample_per_row(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * p.grid_x + wid.x;
  if (row >= p.rows) { return; }
  if (lid == 0u) { row_settings = settings[row]; }
  sample_row(row, lid, workgroupUniformLoad(&row_settings));
}
