import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{shared,control-plane,edge-worker,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // e2e suites start workerd and upstream servers; two cores are all CI has.
    maxWorkers: 2,
  },
})
