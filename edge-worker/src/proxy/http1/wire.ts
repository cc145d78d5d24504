/**
 * HTTP/1.1 on the wire, runtime-neutral: the request head, the response head parser and the
 * response body framings (Content-Length, chunked, until close), over any byte stream. Used by
 * the socket transport (../socket-transport.ts) where fetch() cannot send the Host we need.
 *
 * @module
 */

const CRLF = '\r\n'
const encoder = new TextEncoder()
const decoder = new TextDecoder('latin1')

/** Largest response head accepted (Go's default MaxResponseHeaderBytes is 1 MiB... per header block). */
export const MAX_HEAD_BYTES = 1 << 20

/** A settled promise's handler that does nothing: one function, where an arrow in place is a closure per call (every pooled exchange). */
export function ignore(): void {}

export class WireError extends Error {
  override readonly name = 'WireError'
}

export interface RequestHead {
  method: string
  /** Ask the server to close after the response (one connection per request). */
  close?: boolean
  /** Origin-form target: escaped path plus `?query`. */
  target: string
  host: string
  headers: Headers
  /** `length`: a fixed body of Content-Length bytes; `chunked`: a streamed body; `none`. */
  body: 'none' | 'length' | 'chunked'
}

export function serializeRequestHead(head: RequestHead): Uint8Array {
  // Pieces joined once: a string built with += and templates left a few intermediate strings per header.
  const parts: string[] = [head.method, ' ', head.target, ' HTTP/1.1\r\nHost: ', head.host, CRLF]
  const keepLength = head.body === 'length'
  head.headers.forEach((value, name) => {
    if (name === 'host' || name === 'transfer-encoding' || (name === 'content-length' && !keepLength)) return
    parts.push(name, ': ', value, CRLF)
  })
  if (head.body === 'chunked') parts.push('transfer-encoding: chunked\r\n')
  if (head.close) parts.push('connection: close\r\n')
  parts.push(CRLF)
  return encoder.encode(parts.join(''))
}

/** A chunk of a chunked request body. */
export function encodeChunk(data: Uint8Array): Uint8Array {
  const size = encoder.encode(data.length.toString(16) + CRLF)
  const out = new Uint8Array(size.length + data.length + 2)
  out.set(size)
  out.set(data, size.length)
  out.set([13, 10], size.length + data.length)
  return out
}

export const LAST_CHUNK = encoder.encode(`0${CRLF}${CRLF}`)

/** Writes a request body after its head: as it comes (`length`) or chunk-encoded (`chunked`). */
export async function writeBody(writer: WritableStreamDefaultWriter<Uint8Array>, body: ReadableStream<Uint8Array>, kind: 'length' | 'chunked'): Promise<void> {
  const reader = body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    await writer.write(kind === 'chunked' ? encodeChunk(value) : value)
  }
  if (kind === 'chunked') await writer.write(LAST_CHUNK)
}

/** Buffered reads over a byte stream. */
export class ByteReader {
  #buf: Uint8Array = new Uint8Array(0)
  #eof = false
  /** A read started ahead (watch()), which the next fill() takes over. */
  #ahead: Promise<boolean> | null = null
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
    this.#reader = reader
  }

  get buffered(): number {
    return this.#buf.length
  }

  /** The stream ended (or a read failed). */
  get ended(): boolean {
    return this.#eof
  }

  /**
   * Starts the next read now and resolves when it completes (bytes arrived, the stream ended or
   * failed), with no one asking for them: how a pooled connection notices what arrives while it is
   * idle. The next fill() takes that read over, so nothing is lost when the connection is reused.
   */
  watch(): Promise<void> {
    const ahead = (this.#ahead ??= this.#read())
    return ahead.then(ignore, ignore)
  }

  /** Reads more; false at end of stream. */
  fill(): Promise<boolean> {
    const ahead = this.#ahead
    if (ahead === null) return this.#read()
    this.#ahead = null
    return ahead
  }

  async #read(): Promise<boolean> {
    if (this.#eof) return false
    let result: ReadableStreamReadResult<Uint8Array>
    try {
      result = await this.#reader.read()
    } catch (err) {
      this.#eof = true
      throw err
    }
    const { done, value } = result
    if (done) {
      this.#eof = true
      return false
    }
    // Most reads find the buffer empty: the chunk becomes the buffer, no copy.
    if (this.#buf.length === 0) this.#buf = value
    else if (value.length) {
      const next = new Uint8Array(this.#buf.length + value.length)
      next.set(this.#buf)
      next.set(value, this.#buf.length)
      this.#buf = next
    }
    return true
  }

  /** Up to `max` bytes already buffered, or one read's worth; null at end of stream. */
  async some(max: number): Promise<Uint8Array | null> {
    if (this.#buf.length === 0 && !(await this.fill())) return null
    return this.take(Math.min(max, this.#buf.length))
  }

  take(n: number): Uint8Array {
    const out = this.#buf.subarray(0, n)
    this.#buf = this.#buf.subarray(n)
    return out
  }

  /** The bytes up to and including the first CRLF (or LF); null at end of stream first. */
  async line(limit: number): Promise<Uint8Array | null> {
    for (let from = 0; ; ) {
      const i = this.#buf.indexOf(10, from)
      if (i !== -1) return this.take(i + 1)
      from = this.#buf.length
      if (from > limit) throw new WireError('line too long')
      if (!(await this.fill())) return null
    }
  }

  /**
   * The bytes up to and including the first empty line (a message head), or null at end of
   * stream first: found with one scan, where reading line by line costs a decode per line.
   */
  async head(limit: number): Promise<Uint8Array | null> {
    for (let from = 0; ; ) {
      const end = headEnd(this.#buf, from)
      if (end !== -1) return this.take(end)
      from = Math.max(0, this.#buf.length - 2)
      if (this.#buf.length > limit) throw new WireError('response head too large')
      if (!(await this.fill())) return null
    }
  }

  cancel(): void {
    this.#reader.cancel().catch(ignore)
  }

  /** Hands the stream back: the bytes already buffered, then the lock is released. */
  release(): Uint8Array {
    const rest = this.#buf
    this.#buf = new Uint8Array(0)
    this.#reader.releaseLock()
    return rest
  }
}

/** Where the first empty line of `buf` (searched from `from`) ends: the length of the head it closes; -1 if none yet. */
export function headEnd(buf: Uint8Array, from: number): number {
  let i = buf.indexOf(10, from)
  while (i !== -1) {
    if (buf[i + 1] === 10) return i + 2
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3
    if (i + 2 >= buf.length) break
    i = buf.indexOf(10, i + 1)
  }
  return -1
}

export interface ResponseHead {
  status: number
  statusText: string
  /**
   * Header fields as received, name then value, in order: no Headers object is built where none
   * is needed.
   */
  fields: string[]
  /** The head's bytes as read (a view of the reader's buffer: copy to keep). */
  raw: Uint8Array
}

/** Reads one response head (status line + headers). Throws WireError on EOF or garbage. */
export async function readResponseHead(r: ByteReader): Promise<ResponseHead> {
  const bytes = await r.head(MAX_HEAD_BYTES)
  if (bytes === null) throw new WireError('connection closed before the response head')
  return parseResponseHead(decoder.decode(bytes), bytes)
}

/** A head's bytes (ending with its empty line) as text, the way readResponseHead decodes them. */
export function headText(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

/**
 * The head's text (status line, header lines, the empty line) parsed by index: every response on
 * the pooled path goes through it, and a split into lines plus a slice and a trim per line
 * allocated about 1 KB for a dozen headers. Lines end at LF, an optional CR before it dropped;
 * names and values are trimmed as String.prototype.trim does, and refused where the runtime's
 * Headers would refuse them (a name not a token, a value with CR or NUL), so that what parses
 * here always becomes a Response.
 */
export function parseResponseHead(text: string, raw: Uint8Array = EMPTY): ResponseHead {
  let eol = text.indexOf('\n')
  if (eol === -1) eol = text.length
  const status = STATUS_LINE.exec(text.slice(0, lineEnd(text, 0, eol)))
  if (!status) throw new WireError('malformed status line')
  const fields: string[] = []
  // Up to the empty line: the head ends at the first one (ByteReader.head).
  for (let start = eol + 1; start < text.length; ) {
    let next = text.indexOf('\n', start)
    if (next === -1) next = text.length
    const end = lineEnd(text, start, next)
    if (end === start) break
    const colon = text.indexOf(':', start)
    if (colon === start || colon === -1 || colon >= end) throw new WireError('malformed header line')
    const name = trimmed(text, start, colon)
    const value = trimmed(text, colon + 1, end)
    if (!TOKEN.test(name)) throw new WireError('invalid header name')
    if (value.includes('\r') || value.includes('\0')) throw new WireError('invalid header value')
    fields.push(name, value)
    start = next + 1
  }
  return { status: Number(status[1]), statusText: status[2] ?? '', fields, raw }
}

const EMPTY = new Uint8Array(0)
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/
/** RFC 9110 token: what Headers accepts as a name. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Where the line from `start` to the LF at `lf` ends without its CR. */
function lineEnd(text: string, start: number, lf: number): number {
  return lf > start && text.charCodeAt(lf - 1) === 13 ? lf - 1 : lf
}

/** text.slice(from, to).trim() with one slice. */
function trimmed(text: string, from: number, to: number): string {
  while (from < to && isTrimSpace(text.charCodeAt(from))) from++
  while (to > from && isTrimSpace(text.charCodeAt(to - 1))) to--
  return text.slice(from, to)
}

// String.prototype.trim's set: the Latin-1 ones by code, the rest (rare in a head) by \s, which is the same set.
function isTrimSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 160 || (c > 255 && /\s/.test(String.fromCharCode(c)))
}

/** A field's value as Headers.get gives it: every line of that name (any case), joined by ", "; null if none. */
export function fieldValue(fields: readonly string[], name: string): string | null {
  let value: string | null = null
  for (let i = 0; i < fields.length; i += 2) {
    const n = fields[i]!
    if (n.length !== name.length || n.toLowerCase() !== name) continue
    value = value === null ? fields[i + 1]! : `${value}, ${fields[i + 1]!}`
  }
  return value
}

/** The fields as Headers. */
export function headersOf(fields: readonly string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i]!, fields[i + 1]!)
  return headers
}

export type Framing = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' }

/** How the body of a response is delimited (RFC 9112 6.3). */
export function responseFraming(method: string, head: ResponseHead): Framing {
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || head.status < 200) return { kind: 'none' }
  if (/(^|,)\s*chunked\s*$/i.test(fieldValue(head.fields, 'transfer-encoding') ?? '')) return { kind: 'chunked' }
  const cl = fieldValue(head.fields, 'content-length')
  if (cl !== null) {
    if (!/^\d+$/.test(cl.trim())) throw new WireError('invalid Content-Length')
    return { kind: 'length', length: Number(cl.trim()) }
  }
  return { kind: 'close' }
}

/**
 * The response body as a stream, decoded from its framing; `done` runs once: at the end of the
 * body (`clean`: the connection is at a message boundary), or on an error or cancel.
 */
export function bodyStream(r: ByteReader, framing: Framing, done: (clean: boolean) => void): ReadableStream<Uint8Array> | null {
  if (framing.kind === 'none') {
    done(true)
    return null
  }
  const CHUNK = 64 * 1024
  let remaining = framing.kind === 'length' ? framing.length : Infinity
  let chunkLeft = 0
  let finished = false
  const finish = (clean: boolean) => {
    if (!finished) {
      finished = true
      done(clean)
    }
  }
  const next = async (): Promise<Uint8Array | null> => {
    if (framing.kind === 'length' || framing.kind === 'close') {
      if (remaining === 0) return null
      const part = await r.some(Math.min(CHUNK, remaining))
      if (part === null) {
        if (framing.kind === 'length') throw new WireError('connection closed before the end of the body')
        return null
      }
      remaining -= part.length
      return part
    }
    if (chunkLeft === 0) {
      const sizeLine = await r.line(4096)
      if (sizeLine === null) throw new WireError('connection closed inside a chunked body')
      const size = parseInt(decoder.decode(sizeLine).split(';')[0]!.trim(), 16)
      if (!Number.isFinite(size)) throw new WireError('malformed chunk size')
      if (size === 0) {
        // Trailers (ignored) end with an empty line.
        for (;;) {
          const t = await r.line(MAX_HEAD_BYTES)
          if (t === null || t.length <= 2) return null
        }
      }
      chunkLeft = size
    }
    const part = await r.some(Math.min(CHUNK, chunkLeft))
    if (part === null) throw new WireError('connection closed inside a chunk')
    chunkLeft -= part.length
    if (chunkLeft === 0) {
      const end = await r.line(2)
      if (end === null) throw new WireError('connection closed inside a chunked body')
    }
    return part
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const part = await next()
          if (part === null) {
            finish(true)
            controller.close()
            return
          }
          if (part.length) {
            controller.enqueue(part)
            return
          }
        }
      } catch (err) {
        finish(false)
        controller.error(err)
      }
    },
    cancel() {
      r.cancel()
      finish(false)
    },
  })
}
