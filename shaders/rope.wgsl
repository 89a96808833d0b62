// Rotary position embeddings, Hugging Face "rotate half" convention (LlamaRotaryEmbedding):
// a head vector x of size D is split into halves x1 = x[0..D/2), x2 = x[D/2..D), and for pair i
//   angle = position · inv_freq[i]
//   y1 = x1·cos(angle) − x2·sin(angle)
//   y2 = x2·cos(angle) + x1·sin(angle)
// Backward is the transposed rotation, i.e. the same map with −angle (direction = −1).
// One thread per (token, pair), rotating that pair in every head of the token (the angle is
// computed once for them all); both halves of a pair are read before either is written, so
// `rope_in_place` may rotate a buffer where it lies.

override WG: u32 = 256;

struct Params {
  sites: u32,           // threads: B·T·(D/2)
  half_dim: u32,        // D/2
  heads: u32,           // nHeads (heads per token row)
  row_stride: u32,      // x-stride of the 2-D dispatch grid, in workgroups × WG
  position_offset: u32, // added to every position (decode steps reuse one positions buffer)
  direction: f32,       // +1 forward, −1 backward (rotation by −angle)
}

@group(0) @binding(0) var<uniform> p: Params;

// Cody–Waite split of 2π: the first two parts have 8 significant bits, so k·part is exact in f32
// for |k| < 2^16 (angles below ~4e5 rad); the third part carries the rest of 2π.
const TWO_PI_A: f32 = 6.28125;
const TWO_PI_B: f32 = 0.0019378662109375;
const TWO_PI_C: f32 = -2.559031372584286e-06;
const INV_TWO_PI: f32 = 0.15915493667125702;
// π/2 as f32 plus its remainder; the quadrant index is at most 2, so j·PI_2_A is exact.
const PI_2_A: f32 = 1.5707963705062866;
const PI_2_B: f32 = -4.371139000186241e-08;
const TWO_OVER_PI: f32 = 0.6366197723675814;

// cos and sin of the f32 angle position·inv_freq, rounded exactly as Hugging Face's float32
// product is. WGSL promises sin/cos only to 2^-11 absolute within [−π, π] (SwiftShader is off by
// ~1e-4), so both are evaluated here: reduce by 2π, then to a quadrant |r| ≤ π/4, then polynomials
// fitted (least squares) on [−π/4, π/4], ~1e-7 absolute error.
fn rope_cos_sin(position: u32, inv_freq: f32) -> vec2<f32> {
  let angle = f32(position) * inv_freq;
  let turns = round(angle * INV_TWO_PI);
  let a = ((angle - turns * TWO_PI_A) - turns * TWO_PI_B) - turns * TWO_PI_C;
  let quadrant = round(a * TWO_OVER_PI);
  let r = (a - quadrant * PI_2_A) - quadrant * PI_2_B;
  let z = r * r;
  let sin_r = r + r * z * (-0.16666656732559204 + z * (0.008332327008247375 + z * -0.0001953750179382041));
  let cos_r = 1.0 - 0.5 * z + z * z * (0.04166664928197861 + z * (-0.0013887508539482951 + z * 2.4454982849420048e-05));
  switch ((i32(quadrant) + 4) % 4) {
    case 1: { return vec2<f32>(-sin_r, cos_r); }
    case 2: { return vec2<f32>(-cos_r, -sin_r); }
    case 3: { return vec2<f32>(sin_r, -cos_r); }
    default: { return vec2<f32>(cos_r, sin_r); }
  }
}

struct PairSite {
  first: u32,       // index of x1[i] in the token's first head; x2[i] is at first + D/2
  cos_sin: vec2<f32>, // cos and sin of the angle, sin signed by direction
}

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(3) var<storage, read> positions: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// The rotation site of invocation `gid` (token, pair i), in the token's first head.
fn site_of(gid: vec3<u32>) -> PairSite {
  let site = gid.y * p.row_stride + gid.x;
  let token = site / p.half_dim;
  let half_index = site % p.half_dim;
  let cs = rope_cos_sin(positions[token] + p.position_offset, inv_freq[half_index]);
  return PairSite(token * p.heads * 2u * p.half_dim + half_index, vec2<f32>(cs.x, p.direction * cs.y));
}

fn in_range(gid: vec3<u32>) -> bool {
  return gid.y * p.row_stride + gid.x < p.sites;
}

// (x1, x2) rotated by the site's angle: (x1·c − x2·s, x2·c + x1·s).
fn rotate(site: PairSite, x1: f32, x2: f32) -> vec2<f32> {
  let c = site.cos_sin.x;
  let s = site.cos_sin.y;
  return vec2<f32>(x1 * c - x2 * s, x2 * c + x1 * s);
}

// y = rope(x): x, y are (B,T,nHeads,D), inv_freq is (D/2), positions is (B,T)
@compute @workgroup_size(WG)
fn rope_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (!in_range(gid)) { return; }
  let site = site_of(gid);
  for (var h = 0u; h < p.heads; h++) {
    let at = site.first + h * 2u * p.half_dim;
    let r = rotate(site, x[at], x[at + p.half_dim]);
    y[at] = r.x;
    y[at + p.half_dim] = r.y;
  }
}

@group(0) @binding(1) var<storage, read_write> xy: array<f32>;

// xy = rope(xy) in place; same shapes as rope_forward.
@compute @workgroup_size(WG)
fn rope_in_place(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (!in_range(gid)) { return; }
  let site = site_of(gid);
  for (var h = 0u; h < p.heads; h++) {
    let at = site.first + h * 2u * p.half_dim;
    let r = rotate(site, xy[at], xy[at + p.half_dim]);
    xy[at] = r.x;
    xy[at + p.half_dim] = r.y;
  }
}
