// Row reductions choose their workgroup width from the row length and the adapter
// (gpu.reductionWidth): 4 on software adapters, 32–256 on GPUs. The op tests run the adapter's
// choice; this runs the whole kernel self-check with other widths, so every path is checked.

import { describe, expect, it } from 'vitest';
import { runSelfCheck } from '../../src/ops/selfcheck';
import { testGpu } from '../helpers/gpu';

describe('reduction workgroup widths', () => {
  it.each([256, 64, 32, 1])('every kernel matches its CPU reference with %i-wide reductions', async (width) => {
    const gpu = await testGpu();
    const saved = gpu.reductionWidthOverride;
    gpu.reductionWidthOverride = width;
    try {
      const results = await runSelfCheck(gpu);
      expect(results.filter((r) => !r.ok).map((r) => `${r.op}: ${r.detail}`)).toEqual([]);
    } finally {
      gpu.reductionWidthOverride = saved;
    }
  });
});
