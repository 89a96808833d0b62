// One Gpu per test file. A missing adapter fails the tests (it never skips them).

import { afterAll } from 'vitest';
import { Gpu } from '../../src/gpu/gpu';

let shared: Promise<Gpu> | null = null;

export function testGpu(): Promise<Gpu> {
  if (!shared) {
    shared = Gpu.create();
    afterAll(async () => {
      const gpu = await shared!;
      await gpu.sync().catch(() => undefined);
      gpu.destroy();
      shared = null;
    });
  }
  return shared;
}
