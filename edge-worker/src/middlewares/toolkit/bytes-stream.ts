/**
 * A body read into memory, as a fresh stream for one more send (retry, buffering and forwardAuth
 * send the same bytes again or onward). Each stream gets its own copy: a consumer may transfer it.
 *
 * @module
 */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  // A Response's body knows its length: fetch() then sends Content-Length, not chunks, as
  // Traefik's buffering does (a stream made in JS has no length, and fetch() would chunk it).
  return new Response(bytes.slice()).body as ReadableStream<Uint8Array>
}
