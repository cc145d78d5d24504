/**
 * A body read into memory, as a fresh stream for one more send (retry, buffering and forwardAuth
 * send the same bytes again or onward). Each stream gets its own copy: a consumer may transfer it.
 *
 * @module
 */
export function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength) controller.enqueue(bytes.slice())
      controller.close()
    },
  })
}
