import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: SwiftShader already uses both, more workers only thrash.
    maxWorkers: 2,
  },
});
