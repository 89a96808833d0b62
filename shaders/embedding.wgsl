// Token embedding: forward gather and backward scatter-add, f32.
// Shapes: ids is (N) u32 (B·T positions flattened; i32 ids are read as their bit pattern, so a
// negative id is out of range), table is (V,C), out and dy are (N,C), dtable is (V,C).
//
// Out-of-range ids (id >= V): the forward writes a zero row and the backward drops the gradient,
// so a bad id can never read or write outside the table. The host validates ids where they are
// still on the host (`validateTokenIds`).
//
// Backward without float atomics. Repeated ids collide on the same table row, so the scatter is
// done by "chain heads": pass 1 (embedding_links, one invocation per position) links every
// position to the next position holding the same id and flags every position that is not the
// first occurrence of its id; pass 2 (embedding_backward, one invocation per (position, channel))
// lets only first occurrences walk their chain, summing dy in ascending position order, and add
// the sum to the table row. Every (row, channel) has exactly one writer, so the result is
// race-free and bit-for-bit deterministic. Cost: pass 1 is O(N²) integer compares in total (each
// position scans for an earlier and a later equal id, stopping at the first hit; N = 512 gives
// 262k compares), pass 2 reads dy once (N·C). Nothing is proportional to V, which matters when
// V = 49152 and only N = 512 rows receive gradient.

override WG: u32 = 256;

const NOT_HEAD: u32 = 0x80000000u; // link flag: an earlier position holds the same id
const LINK_MASK: u32 = 0x7fffffffu; // link value: next position with the same id, or N at the end

struct Params {
  n: u32,          // positions N
  c: u32,          // channels C
  vocab: u32,      // table rows V
  row_stride: u32, // x-stride of the 2-D dispatch grid, in workgroups × WG
}

@group(0) @binding(0) var<uniform> p: Params;

// ---- forward -----------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// out[n, c] = table[ids[n], c], one invocation per output element.
@compute @workgroup_size(WG)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n * p.c) { return; }
  let pos = i / p.c;
  let ch = i - pos * p.c;
  let id = ids[pos];
  var value = 0.0;
  if (id < p.vocab) { value = table[id * p.c + ch]; }
  out[i] = value;
}

// ---- backward, pass 1: chains of equal ids ----------------------------------------------------------

@group(0) @binding(1) var<storage, read> link_ids: array<u32>;
@group(0) @binding(2) var<storage, read_write> links: array<u32>;

// links[n] = (next position m > n with ids[m] == ids[n], or N) | NOT_HEAD if some m < n has it too.
// Out-of-range ids are flagged NOT_HEAD, so pass 2 never writes their gradient.
@compute @workgroup_size(WG)
fn embedding_links(@builtin(global_invocation_id) gid: vec3<u32>) {
  let pos = gid.y * p.row_stride + gid.x;
  if (pos >= p.n) { return; }
  let id = link_ids[pos];
  var flag = 0u;
  if (id >= p.vocab) {
    flag = NOT_HEAD;
  } else {
    for (var m = 0u; m < pos; m++) {
      if (link_ids[m] == id) { flag = NOT_HEAD; break; }
    }
  }
  var next = p.n;
  for (var m = pos + 1u; m < p.n; m++) {
    if (link_ids[m] == id) { next = m; break; }
  }
  links[pos] = next | flag;
}

// ---- backward, pass 2: chain heads sum and add ------------------------------------------------------

@group(0) @binding(1) var<storage, read> grad_ids: array<u32>;
@group(0) @binding(2) var<storage, read> chain: array<u32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dtable: array<f32>;

// dtable[id, c] += Σ dy[m, c] over all positions m holding id, by the first such position only.
@compute @workgroup_size(WG)
fn embedding_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * p.row_stride + gid.x;
  if (i >= p.n * p.c) { return; }
  let pos = i / p.c;
  if ((chain[pos] & NOT_HEAD) != 0u) { return; }
  let ch = i - pos * p.c;
  var sum = 0.0;
  var m = pos;
  loop {
    sum += dy[m * p.c + ch];
    m = chain[m] & LINK_MASK;
    if (m >= p.n) { break; }
  }
  let dst = grad_ids[pos] * p.c + ch;
  dtable[dst] = dtable[dst] + sum;
}
