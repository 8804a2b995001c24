import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // onnxruntime sessions and the converter are CPU heavy; two cores here.
    pool: 'forks',
    maxWorkers: 2,
  },
});
