import { describe, expect, it } from 'vitest';
import { testGpu } from '../helpers/gpu';

describe('device acquisition', () => {
  it('finds an adapter and requests its own maximum buffer and binding sizes', async () => {
    const gpu = await testGpu();
    expect(gpu.info.host).toBe('node');
    expect(gpu.info.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(gpu.info.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * 1024 * 1024);
    expect(typeof gpu.info.features.shaderF16).toBe('boolean');
  });

  it('surfaces validation errors at the next sync', async () => {
    const gpu = await testGpu();
    const bad = gpu.device.createShaderModule({ code: 'fn broken( {' });
    void bad;
    await expect(gpu.sync()).rejects.toThrow(/WebGPU error/);
  });

  it('round-trips u32 and i32 tensors', async () => {
    const gpu = await testGpu();
    const u = gpu.upload([0, 1, 4294967295], [3], 'u32');
    const i = gpu.upload([-5, 0, 2147483647], [3], 'i32');
    expect(Array.from(await u.read())).toEqual([0, 1, 4294967295]);
    expect(Array.from(await i.read())).toEqual([-5, 0, 2147483647]);
  });
});
