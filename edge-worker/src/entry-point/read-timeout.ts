/**
 * The entry point's read timeout (Traefik's `entryPoints.<name>.transport.respondingTimeouts.
 * readTimeout`, 60 s by default): the longest a request may take to arrive, body included. A
 * body still arriving then is cut: its stream errors with a timeout, so the upstream request is
 * aborted (its connection closed) and the client is answered 504 (what Traefik's proxy answers
 * for a timeout) and its connection closed, where a body trickled a byte at a time held both
 * open for minutes.
 *
 * READ_TIMEOUT, per entry point's worker: a Go duration (`60s`, `1m30s`) or whole seconds;
 * `0` turns it off. Requests without a body cost nothing; with one, a wrapper stream whose timer
 * starts when something first reads it (measured from the request's arrival).
 *
 * @module
 */
import { parseGoDuration } from '../../../shared/dynamic/duration.ts'
import { ProxyError } from '../proxy/transport.ts'

export const DEFAULT_READ_TIMEOUT_MS = 60_000

let parsed: { text: string | undefined; ms: number } | null = null

/** READ_TIMEOUT in ms (default 60 s; an unreadable value keeps the default, said once). */
export function readTimeoutMs(text: string | undefined): number {
  if (parsed !== null && parsed.text === text) return parsed.ms
  let ms = DEFAULT_READ_TIMEOUT_MS
  if (text !== undefined && text !== '') {
    try {
      ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text) / 1e6
    } catch (err) {
      console.error(`[edge] READ_TIMEOUT ${JSON.stringify(text)}: ${(err as Error).message}; using ${DEFAULT_READ_TIMEOUT_MS / 1000}s`)
    }
  }
  parsed = { text, ms }
  return ms
}

/**
 * `body` with the entry point's deadline `arrivedAt + ms`, and the signal that fires when the
 * deadline passes with the body still arriving. Cut, the stream stops reading the client (the
 * runtime then closes that connection once it has answered) and never ends: an error would be
 * taken by workerd's fetch() for the end of a chunked body, and the upstream would see a
 * truncated body as complete. Whoever sends the body upstream must abort on the signal instead.
 */
export function withReadDeadline(body: ReadableStream<Uint8Array>, arrivedAt: number, ms: number): { body: ReadableStream<Uint8Array>; cut: AbortSignal } {
  const cut = new AbortController()
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (reader === null) {
        reader = body.getReader()
        const r = reader
        timer = setTimeout(
          () => {
            cut.abort(new ProxyError('timeout', `the request body took longer than the entry point's read timeout (${ms} ms)`))
            r.cancel(cut.signal.reason).catch(() => {})
          },
          Math.max(0, arrivedAt + ms - Date.now()),
        )
      }
      const { done, value } = await reader.read()
      if (cut.signal.aborted) return new Promise<void>(() => {})
      if (done) {
        if (timer !== null) clearTimeout(timer)
        controller.close()
      } else controller.enqueue(value)
    },
    cancel(reason) {
      if (timer !== null) clearTimeout(timer)
      return (reader ?? body).cancel(reason)
    },
  })
  return { body: stream, cut: cut.signal }
}

/** The answer, unless the body is cut first: then 504, as Traefik's proxy answers a timeout. */
export function answeredWithin(answer: Promise<Response>, cut: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const onCut = () => resolve(new Response('Gateway Timeout', { status: 504, headers: { 'content-type': 'text/plain; charset=utf-8' } }))
    cut.addEventListener('abort', onCut, { once: true })
    answer.then(
      (res) => (cut.removeEventListener('abort', onCut), resolve(res)),
      (err: unknown) => (cut.removeEventListener('abort', onCut), reject(err)),
    )
  })
}
