import { expect, test } from 'vitest'

test('runs on Node >= 22 (bootstrapped by scripts/run.mjs)', () => {
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22)
})
