// Split-K's second pass (src/ops/matmul.ts): C = Σ_s partial[s] (+ C when accumulating), the
// chunks added in order, so the result is deterministic. partial is (S, n): the first pass wrote
// chunk s's product (alpha and the dropout mask already applied) at s·n.

override WG: u32 = 64;

struct Params {
  n: u32,          // elements of C
  chunks: u32,     // S
  accumulate: u32, // 1: C += Σ, 0: C = Σ
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn split_k_sum(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n) { return; }
  var sum = partial[i];
  for (var s = 1u; s < p.chunks; s++) { sum += partial[s * p.n + i]; }
  if (p.accumulate != 0u) { sum = c[i] + sum; }
  c[i] = sum;
}
