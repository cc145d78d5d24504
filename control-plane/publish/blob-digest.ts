/**
 * blobDigest (shared/kv/layout.ts) in one synchronous call, for the control plane: node:crypto
 * hashes the string's UTF-8 directly, where TextEncoder makes a copy of it and WebCrypto a second
 * one (native memory freed only when a GC finds them). A publish hashes a few MB of buckets per
 * second in a burst; the property test (test/contract/incremental-pipeline.test.ts) and
 * blob-digest.test.ts hold the two to the same digests.
 *
 * @module
 */
import { createHash } from 'node:crypto'

/** SHA-256 of the text's UTF-8 (lone surrogates as U+FFFD, as TextEncoder), unpadded base64url. */
export function blobDigestSync(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url')
}
