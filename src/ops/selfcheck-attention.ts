// The self-check's attention cases (forward, backward, and both decode kernels against a KV
// cache); the list itself is in selfcheck-cases.ts.

import type { Gpu } from '../gpu/gpu';
import type { Tolerance } from '../util/compare';
import type { Rng } from '../util/rng';
import {
  attentionBackward,
  attentionBackwardCpu,
  attentionDecode,
  attentionDecodeVariant,
  attentionForward,
  attentionForwardCpu,
  kvCacheAppend,
  setAttentionDecodeVariant,
  setAttentionRowVariant,
  type AttentionShape,
} from './attention';
import type { SelfCheck } from './selfcheck';

// tests/ops/attention.test.ts: f32 dot products of D ≤ 16 terms, softmax over a few keys.
const ATTENTION_FWD_TOL: Tolerance = { atol: 2e-6, rtol: 1e-5 };
const ATTENTION_BWD_TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };

/** B2 T5 H4 KV2 D8: two query heads per kv head; row 0 right-padded to 3 keys, row 1 left-padded by 2. */
const ATTN: AttentionShape = { batch: 2, queryLen: 5, keyLen: 5, keyRows: 5, heads: 4, kvHeads: 2, headDim: 8 };
const ATTN_KEY_RANGES = Uint32Array.of(0, 3, 2, 5);

/** The same with D = 32: the small-head (named-matrix) row kernels where the adapter runs them. */
const ATTN_D32: AttentionShape = { ...ATTN, headDim: 32 };

function attentionInputs(gpu: Gpu, rng: Rng, shape = ATTN) {
  const { batch: B, queryLen: T, keyRows: S, heads: H, kvHeads: KV, headDim: D } = shape;
  const host = {
    q: rng.uniformArray(B * T * H * D, -2, 2),
    k: rng.uniformArray(B * S * KV * D, -2, 2),
    v: rng.uniformArray(B * S * KV * D),
    dout: rng.uniformArray(B * T * H * D),
  };
  const dev = {
    q: gpu.upload(host.q, [B, T, H, D]),
    k: gpu.upload(host.k, [B, S, KV, D]),
    v: gpu.upload(host.v, [B, S, KV, D]),
    dout: gpu.upload(host.dout, [B, T, H, D]),
    keyRange: gpu.upload(ATTN_KEY_RANGES, [B, 2], 'u32'),
  };
  return { host, dev };
}

export const attentionChecks: SelfCheck[] = [
  {
    name: 'attention forward (B2 T5 H4 KV2 D8)',
    tolerance: ATTENTION_FWD_TOL,
    async run(gpu, rng) {
      const { host, dev } = attentionInputs(gpu, rng);
      const { out, lse } = attentionForward(gpu, dev.q, dev.k, dev.v, { keyRange: dev.keyRange });
      const ref = attentionForwardCpu(host.q, host.k, host.v, ATTN, ATTN_KEY_RANGES);
      return [
        { label: 'out', gpu: await out.read(), cpu: ref.out },
        { label: 'lse', gpu: await lse.read(), cpu: ref.lse },
      ];
    },
  },
  {
    name: 'attention backward (B2 T5 H4 KV2 D8)',
    tolerance: ATTENTION_BWD_TOL,
    async run(gpu, rng) {
      const { host, dev } = attentionInputs(gpu, rng);
      const { out, lse } = attentionForward(gpu, dev.q, dev.k, dev.v, { keyRange: dev.keyRange });
      const grads = attentionBackward(gpu, dev.q, dev.k, dev.v, out, lse, dev.dout, { keyRange: dev.keyRange });
      const ref = attentionBackwardCpu(host.q, host.k, host.v, host.dout, ATTN, ATTN_KEY_RANGES);
      return [
        { label: 'dq', gpu: await grads.dq.read(), cpu: ref.dq },
        { label: 'dk', gpu: await grads.dk.read(), cpu: ref.dk },
        { label: 'dv', gpu: await grads.dv.read(), cpu: ref.dv },
      ];
    },
  },
  ...(['registers', 'arrays'] as const).map(
    (variant): SelfCheck => ({
      name: `attention forward and backward, ${variant} row kernels (B2 T5 H4 KV2 D32)`,
      tolerance: ATTENTION_BWD_TOL,
      async run(gpu, rng) {
        const { host, dev } = attentionInputs(gpu, rng, ATTN_D32);
        setAttentionRowVariant(gpu, variant);
        try {
          const { out, lse } = attentionForward(gpu, dev.q, dev.k, dev.v, { keyRange: dev.keyRange });
          const grads = attentionBackward(gpu, dev.q, dev.k, dev.v, out, lse, dev.dout, { keyRange: dev.keyRange });
          const fwd = attentionForwardCpu(host.q, host.k, host.v, ATTN_D32, ATTN_KEY_RANGES);
          const ref = attentionBackwardCpu(host.q, host.k, host.v, host.dout, ATTN_D32, ATTN_KEY_RANGES);
          return [
            { label: 'out', gpu: await out.read(), cpu: fwd.out, tolerance: ATTENTION_FWD_TOL },
            { label: 'dq', gpu: await grads.dq.read(), cpu: ref.dq },
            { label: 'dk', gpu: await grads.dk.read(), cpu: ref.dk },
            { label: 'dv', gpu: await grads.dv.read(), cpu: ref.dv },
          ];
        } finally {
          setAttentionRowVariant(gpu, null);
        }
      },
    }),
  ),
  ...(['rows', 'workgroup'] as const).map(
    (variant): SelfCheck => ({
      // A left-padded batch in a KV cache of capacity 12: 8 prompt rows appended at once, then this
      // step's row appended at position 8, and one query per row attending the 9 rows in use.
      name: `attention decode, ${variant} kernel (B2 S9 H4 KV2 D8, cache 12)`,
      tolerance: ATTENTION_FWD_TOL,
      async run(gpu, rng) {
        const [B, prompt, capacity, H, KV, D] = [2, 8, 12, 4, 2, 8];
        const length = prompt + 1;
        const rowSize = KV * D;
        const kHost = new Float32Array(B * capacity * rowSize);
        const vHost = new Float32Array(B * capacity * rowSize);
        const kCache = gpu.zeros([B, capacity, KV, D]);
        const vCache = gpu.zeros([B, capacity, KV, D]);
        for (const [position, rows] of [[0, prompt], [prompt, 1]]) {
          const k = rng.uniformArray(B * rows * rowSize, -2, 2);
          const v = rng.uniformArray(B * rows * rowSize);
          for (let b = 0; b < B; b++) {
            const at = (b * capacity + position) * rowSize;
            kHost.set(k.subarray(b * rows * rowSize, (b + 1) * rows * rowSize), at);
            vHost.set(v.subarray(b * rows * rowSize, (b + 1) * rows * rowSize), at);
          }
          kvCacheAppend(gpu, kCache, vCache, gpu.upload(k, [B, rows, KV, D]), gpu.upload(v, [B, rows, KV, D]), position);
        }
        const ranges = Uint32Array.of(0, capacity, 3, capacity); // row 1 has 3 padding keys first
        const q = rng.uniformArray(B * H * D, -2, 2);
        const saved = attentionDecodeVariant(gpu);
        setAttentionDecodeVariant(gpu, variant);
        const out = attentionDecode(gpu, gpu.upload(q, [B, 1, H, D]), kCache, vCache, length, gpu.upload(ranges, [B, 2], 'u32'));
        setAttentionDecodeVariant(gpu, saved);
        const shape: AttentionShape = { batch: B, queryLen: 1, keyLen: length, keyRows: capacity, heads: H, kvHeads: KV, headDim: D };
        return { gpu: await out.read(), cpu: attentionForwardCpu(q, kHost, vHost, shape, ranges).out };
      },
    }),
  ),
];
