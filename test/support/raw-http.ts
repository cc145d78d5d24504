// A request written byte for byte on a fresh TCP connection, for what an HTTP client library
// refuses to send or rewrites (absolute-form targets, dot segments, malformed Host values,
// several Host lines). The answer is read until the server closes the connection (the request
// should say `Connection: close`); a chunked body is decoded.
import { connect } from 'node:net'

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  status: number
  statusLine: string
  /** Lower-cased names; repeated ones joined with ", ". */
  headers: Record<string, string>
  body: string
  /** Everything the server wrote. */
  raw: string
}

/** Writes `text` to 127.0.0.1:`port` and reads the answer until the server closes (or `timeoutMs`). */
export function rawRequest(port: number, text: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no end of answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`))
    }, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseAnswer(Buffer.concat(chunks)))
    })
  })
}

/** A one-line request: `GET target HTTP/1.1`, the given header lines, `Connection: close`. */
export function requestText(target: string, headerLines: string[], method = 'GET'): string {
  return `${method} ${target} HTTP/1.1\r\n${[...headerLines, 'Connection: close'].join('\r\n')}\r\n\r\n`
}

function parseAnswer(bytes: Buffer): RawAnswer {
  const raw = bytes.toString('latin1')
  const end = raw.indexOf('\r\n\r\n')
  if (end === -1) return { status: 0, statusLine: raw.split('\r\n')[0] ?? '', headers: {}, body: '', raw }
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let body = bytes.subarray(Buffer.byteLength(raw.slice(0, end + 4), 'latin1'))
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body)
  return { status: Number(statusLine.split(' ')[1]) || 0, statusLine, headers, body: body.toString('utf8'), raw }
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd === -1) break
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
  return Buffer.concat(out)
}
