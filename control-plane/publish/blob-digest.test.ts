import { describe, expect, it } from 'vitest'
import { blobDigest } from '../../shared/kv/layout.ts'
import { blobDigestSync } from './blob-digest.ts'

describe('blobDigestSync', () => {
  it('gives blobDigest for ASCII, multi-byte, astral and lone-surrogate texts', async () => {
    for (const text of ['', '{"hosts":{}}', 'é€ 日本', '😀 "quoted" \\', 'a\ud800b', '\udc00', 'x'.repeat(200_000)]) {
      expect(blobDigestSync(text), JSON.stringify(text.slice(0, 20))).toBe(await blobDigest(text))
    }
  })
})
