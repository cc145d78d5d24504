import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ByteReader,
  WireError,
  bodyStream,
  encodeChunk,
  headersOf,
  parseResponseHead,
  readResponseHead,
  responseFraming,
  serializeRequestHead,
} from './wire.ts'

const enc = new TextEncoder()

/** A byte stream that delivers the text in the given pieces (to cut heads and chunks anywhere). */
function reader(...pieces: string[]): ByteReader {
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(enc.encode(p))
      c.close()
    },
  })
  return new ByteReader(stream.getReader())
}

async function response(method: string, ...pieces: string[]) {
  const r = reader(...pieces)
  const head = await readResponseHead(r)
  let closed = 0
  const body = bodyStream(r, responseFraming(method, head), () => closed++)
  const text = body ? await new Response(body).text() : null
  return { head, text, closed }
}

describe('HTTP/1.1 wire', () => {
  it('writes the request head with the given Host first and no framing headers of its own', () => {
    const headers = new Headers({ 'x-a': '1', host: 'ignored', 'content-length': '3', 'transfer-encoding': 'chunked' })
    const fixed = new TextDecoder().decode(serializeRequestHead({ method: 'POST', target: '/p?q=1', host: 'client.example', headers, body: 'length' }))
    expect(fixed).toBe('POST /p?q=1 HTTP/1.1\r\nHost: client.example\r\ncontent-length: 3\r\nx-a: 1\r\n\r\n')
    const chunked = new TextDecoder().decode(serializeRequestHead({ method: 'POST', target: '/', host: 'h', headers, body: 'chunked' }))
    expect(chunked).toBe('POST / HTTP/1.1\r\nHost: h\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n')
    expect(new TextDecoder().decode(encodeChunk(enc.encode('hello')))).toBe('5\r\nhello\r\n')
  })

  it('reads a Content-Length body split anywhere', async () => {
    const res = await response('GET', 'HTTP/1.1 200 OK\r\nContent-', 'Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nhe', 'llo')
    expect(res.head.status).toBe(200)
    expect(headersOf(res.head.fields).getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(res.text).toBe('hello')
    expect(res.closed).toBe(1)
  })

  it('decodes a chunked body with extensions and trailers', async () => {
    const res = await response('GET', 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nWiki\r\n5\r', '\npedia\r\n0\r\nX-T: 1\r\n\r\n')
    expect(res.head.statusText).toBe('Created')
    expect(res.text).toBe('Wikipedia')
  })

  it('reads until close without framing, and no body for HEAD, 204 and 304', async () => {
    expect((await response('GET', 'HTTP/1.0 200 OK\r\n\r\nall', ' of it')).text).toBe('all of it')
    expect((await response('HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')).text).toBeNull()
    expect((await response('GET', 'HTTP/1.1 304 Not Modified\r\n\r\n')).closed).toBe(1)
  })

  it('fails on a truncated body or a garbled head', async () => {
    await expect(response('GET', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort')).rejects.toThrow(/before the end of the body/)
    await expect(response('GET', 'HTTP/1.1 200 OK\r\nContent')).rejects.toThrow(/before the response head/)
    await expect(response('GET', 'SSH-2.0-OpenSSH\r\n\r\n')).rejects.toThrow(/malformed status line/)
  })

  it('watch() reads ahead, and the next read takes over what it read', async () => {
    const r = reader('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'EXTRA')
    const head = await readResponseHead(r)
    expect(head.status).toBe(200)
    expect(r.take(2)).toEqual(enc.encode('ok'))
    // Nothing buffered, then a read started with no one asking: it sees the extra bytes.
    expect(r.buffered).toBe(0)
    await r.watch()
    expect(r.buffered).toBe(5)
    expect(await r.fill()).toBe(true)
    await r.watch()
    expect(r.ended).toBe(true)
  })
})

describe('parseResponseHead', () => {
  // The split-and-trim parse it replaced, kept as the reference: any head must read the same.
  function byLines(text: string) {
    const lines = text.split(/\r?\n/)
    const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]!)
    if (!status) throw new WireError('malformed status line')
    const headers = new Headers()
    for (let i = 1; i < lines.length - 2; i++) {
      const line = lines[i]!
      const colon = line.indexOf(':')
      if (colon <= 0) throw new WireError('malformed header line')
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
    }
    return { status: Number(status[1]), statusText: status[2] ?? '', headers: [...headers] }
  }
  // What Headers refuses (a name not a token, a value with CR) the parse refuses itself, with its own error.
  const outcome = (parse: () => { status: number; statusText: string; headers: Headers | Array<[string, string]> }) => {
    try {
      const h = parse()
      return { ...h, headers: [...h.headers] }
    } catch (err) {
      const message = (err as Error).message
      return { error: /invalid header (name|value)/i.test(message) ? 'refused by Headers' : `${(err as Error).name}: ${message}` }
    }
  }
  const parsed = (text: string) => {
    const { fields, raw: _, ...rest } = parseResponseHead(text)
    return { ...rest, headers: headersOf(fields) }
  }

  it('reads every head as the split per line did, errors included', () => {
    const piece = fc.constantFrom('HTTP/1.1 ', 'HTTP/1.0 ', '200', ' OK', 'x-a', 'X-B', ':', ': ', ' ', '\t', '\r', '\u00a0', 'v', '\u0085', '1', '\r\n', '\n')
    const line = fc.array(piece, { maxLength: 6 }).map((p) => p.join(''))
    const statusLine = fc.oneof(fc.constantFrom('HTTP/1.1 200 OK', 'HTTP/1.0 404', 'HTTP/1.1 204 ', 'HTTP/1.1 200 O\rK'), line)
    const head = fc.tuple(statusLine, fc.array(line, { maxLength: 5 }), fc.constantFrom('\r\n', '\n')).map(([status, lines, eol]) => {
      // As ByteReader.head hands it over: through the first empty line and no further.
      const text = `${[status, ...lines].join(eol)}${eol}${eol}`
      const m = /\n\r?\n/.exec(text)!
      return text.slice(0, m.index + m[0].length)
    })
    fc.assert(
      fc.property(head, (text) => {
        expect(
          outcome(() => parsed(text)),
          JSON.stringify(text),
        ).toEqual(outcome(() => byLines(text)))
      }),
      { numRuns: 3000 },
    )
    expect(outcome(() => parsed('HTTP/1.1 200 OK\r\nContent-Length:  3 \r\nX-A:b\r\n\r\n'))).toEqual({
      status: 200,
      statusText: 'OK',
      headers: [
        ['content-length', '3'],
        ['x-a', 'b'],
      ],
    })
  })
})
