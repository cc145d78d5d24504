/**
 * Reads a body up to a limit. Within it: the bytes. Over it: `rest`, a stream of everything
 * (the bytes read so far, then the remainder), so the body can still be sent once.
 *
 * @module
 */

export interface ReadUpTo {
  bytes: Uint8Array
  /** Set when the body is longer than the limit. */
  rest?: ReadableStream<Uint8Array>
}

/** `limit` < 0 means no limit. */
export async function readUpTo(body: ReadableStream<Uint8Array>, limit: number): Promise<ReadUpTo> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (limit >= 0 && size > limit) {
      let i = 0
      const rest = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (i < chunks.length) return controller.enqueue(chunks[i++]!)
          const next = await reader.read()
          if (next.done) controller.close()
          else controller.enqueue(next.value)
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return { bytes: new Uint8Array(0), rest }
    }
  }
  return { bytes: concat(chunks, size) }
}

export function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
