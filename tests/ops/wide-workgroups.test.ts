// Row reductions use narrow workgroups on software adapters and 256 invocations on GPUs
// (gpu.reductionWorkgroupSize). The op tests run the adapter's choice; this runs the whole
// kernel self-check with the other width, so both code paths are checked here.

import { describe, expect, it } from 'vitest';
import { runSelfCheck } from '../../src/ops/selfcheck';
import { testGpu } from '../helpers/gpu';

describe('reduction workgroup widths', () => {
  it.each([256, 64])('every kernel matches its CPU reference with %i-wide reductions', async (width) => {
    const gpu = await testGpu();
    const saved = gpu.reductionWorkgroupSize;
    gpu.reductionWorkgroupSize = width;
    try {
      const results = await runSelfCheck(gpu);
      expect(results.filter((r) => !r.ok).map((r) => `${r.op}: ${r.detail}`)).toEqual([]);
    } finally {
      gpu.reductionWorkgroupSize = saved;
    }
  });
});
