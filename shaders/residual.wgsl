// Residual add and in-place accumulation, elementwise over flat f32 buffers.
// Backward of y = a + b is dy for both inputs, so it needs no kernel of its own: callers pass dy
// on, or accumulate it with `accumulate` (dst += src), which gradient accumulation also uses.
// The _vec4 entry points take four elements an invocation (n then counts vec4s).

override WG: u32 = 256;

struct Params {
  n: u32,        // element count
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG
  scale: f32,    // accumulate: dst += scale * src
  _pad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// y = a + b
@compute @workgroup_size(WG)
fn add_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  y[i] = a[i] + b[i];
}

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// dst += scale * src
@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  dst[i] = dst[i] + p.scale * src[i];
}

// ---- four elements an invocation (n = element count / 4) ------------------------------------------

@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn add_forward_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  y4[i] = a4[i] + b4[i];
}

@group(0) @binding(1) var<storage, read> src4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn accumulate_vec4(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  dst4[i] = dst4[i] + p.scale * src4[i];
}
