// Request bodies that must be sent more than once (mirrors, failover replays): read into memory
// up to a limit, or handed on whole when over it.

export type Buffered =
  | { complete: true; bytes: Uint8Array | null }
  /** Over the limit: `stream` replays what was read, then the rest. */
  | { complete: false; stream: ReadableStream<Uint8Array> }

/** Reads `body` whole when it has at most `max` bytes (`max` < 0: no limit). */
export async function bufferBody(body: ReadableStream<Uint8Array> | null, max: number): Promise<Buffered> {
  if (body === null) return { complete: true, bytes: null }
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.length
    if (max >= 0 && size > max) {
      const read = chunks.slice()
      return {
        complete: false,
        stream: new ReadableStream<Uint8Array>({
          async pull(controller) {
            const next = read.shift()
            if (next) return controller.enqueue(next)
            const { done: end, value: more } = await reader.read()
            if (end) controller.close()
            else controller.enqueue(more)
          },
          cancel: (reason) => reader.cancel(reason),
        }),
      }
    }
  }
  const bytes = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    bytes.set(c, at)
    at += c.length
  }
  return { complete: true, bytes }
}
