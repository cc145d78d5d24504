/**
 * Reading the start of a response body before deciding what to do with it (compress waits for
 * its minimum size, contentType for the bytes it sniffs), then sending the whole body on as a
 * stream: what was read first, then the rest as it comes.
 *
 * @module
 */

export interface PeekedBody {
  /** The bytes read: at least the asked number unless the body ended first. */
  head: Uint8Array
  /** Whether the body ended within `head`. */
  ended: boolean
  /** The whole body, `head` included. */
  body: ReadableStream<Uint8Array>
}

export async function peekBody(source: ReadableStream<Uint8Array>, atLeast: number): Promise<PeekedBody> {
  const reader = source.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let ended = false
  // At least one chunk, so that "at least 0 bytes" still tells an empty body from a non-empty one.
  while (size < atLeast || chunks.length === 0) {
    const r = await reader.read()
    if (r.done) {
      ended = true
      break
    }
    chunks.push(r.value)
    size += r.value.byteLength
  }
  const head = chunks.length === 1 ? chunks[0]! : new Uint8Array(size)
  if (chunks.length > 1) {
    let at = 0
    for (const c of chunks) {
      head.set(c, at)
      at += c.byteLength
    }
  }
  let sent = false
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sent) {
        sent = true
        if (size > 0) controller.enqueue(head)
        if (ended) controller.close()
        return
      }
      const r = await reader.read()
      if (r.done) controller.close()
      else controller.enqueue(r.value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { head, ended, body }
}
