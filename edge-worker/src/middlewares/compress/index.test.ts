import { zstdDecompressSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { negotiateEncoding } from './accept-encoding.ts'
import { parseMediaType } from '../../../../shared/http/media-type.ts'

// What the middleware decides (codings, headers, body kept or streamed). gzip and br bytes are
// the runtime's: test/e2e/edge-transforms.test.ts checks them through workerd.

function req(headers: Record<string, string>, method = 'GET'): EdgeRequest {
  return {
    method,
    host: 'h',
    path: '/',
    query: '',
    headers: new Headers(headers),
    body: null,
    clientIp: '192.0.2.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

const chunks = (...parts: string[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p))
      c.close()
    },
  })

async function through(config: Record<string, unknown>, request: EdgeRequest, upstream: () => Response) {
  const handler = chain([{ name: 'mw', type: 'compress', config }], async () => upstream(), { target: 'workerd', env: {}, log: () => {} })
  return handler(request)
}

const big = 'y'.repeat(1500)

describe('compress', () => {
  it('refuses what Traefik refuses: unknown encodings, a defaultEncoding not among them, both type lists, a bad media type (500)', async () => {
    for (const config of [
      { encodings: ['lz4'] },
      { encodings: ['gzip'], defaultEncoding: 'br' },
      { excludedContentTypes: ['text/html'], includedContentTypes: ['text/plain'] },
      { excludedContentTypes: ['not a type'] },
    ]) {
      expect((await through(config, req({ 'accept-encoding': 'gzip' }), () => new Response(big))).status).toBe(500)
    }
  })

  it('decides on the bytes: at least minResponseBodyBytes (by Content-Length, or read from a stream) is compressed', async () => {
    const sized = await through(
      {},
      req({ 'accept-encoding': 'gzip' }),
      () => new Response(big, { headers: { 'content-type': 'text/plain', 'content-length': '1500' } }),
    )
    expect(sized.headers.get('content-encoding')).toBe('gzip')
    expect(sized.headers.get('content-length')).toBeNull()
    expect(sized.headers.get('vary')).toBe('Accept-Encoding')
    const streamed = await through({ minResponseBodyBytes: 10 }, req({ 'accept-encoding': 'gzip' }), () => new Response(chunks('abcde', 'fghij', 'klm')))
    expect(streamed.headers.get('content-encoding')).toBe('gzip')
    expect(await streamed.text()).toBe('abcdefghijklm')
    // Zero or less is the default, 1024.
    expect(
      (await through({ minResponseBodyBytes: 0 }, req({ 'accept-encoding': 'gzip' }), () => new Response(chunks('abc')))).headers.get('content-encoding'),
    ).toBeNull()
    const short = await through({ minResponseBodyBytes: 10 }, req({ 'accept-encoding': 'gzip' }), () => new Response(chunks('abc', 'de')))
    expect(short.headers.get('content-encoding')).toBeNull()
    expect(short.headers.get('vary')).toBe('Accept-Encoding')
    expect(await short.text()).toBe('abcde')
  })

  it('passes HEAD, gRPC or excluded requests, encoded responses and excluded or not included types', async () => {
    const ae = { 'accept-encoding': 'gzip' }
    expect((await through({}, req(ae, 'HEAD'), () => new Response(big))).headers.get('content-encoding')).toBeNull()
    expect((await through({}, req({ ...ae, 'content-type': 'application/grpc' }), () => new Response(big))).headers.get('content-encoding')).toBeNull()
    expect((await through({}, req(ae), () => new Response(big, { headers: { 'content-encoding': 'br' } }))).headers.get('content-encoding')).toBe('br')
    const typed = (t: string) => () => new Response(big, { headers: { 'content-type': t } })
    expect((await through({ excludedContentTypes: ['image/png'] }, req(ae), typed('image/png'))).headers.get('content-encoding')).toBeNull()
    // Types are compared without their parameters, as Traefik keeps only the media type.
    expect(
      (await through({ excludedContentTypes: ['text/plain; charset=ascii'] }, req(ae), typed('text/plain; charset=utf-8'))).headers.get('content-encoding'),
    ).toBeNull()
    expect((await through({}, req(ae), typed('application/grpc'))).headers.get('content-encoding')).toBeNull()
    expect((await through({ includedContentTypes: ['text/html'] }, req(ae), typed('text/plain'))).headers.get('content-encoding')).toBeNull()
    expect((await through({ includedContentTypes: ['text/html'] }, req(ae), typed('TEXT/HTML; charset=utf-8'))).headers.get('content-encoding')).toBe('gzip')
    expect((await through({}, req(ae), typed('bad type;;'))).headers.get('content-encoding')).toBeNull()
  })

  it('a wildcard tied with a named coding wins (Traefik ranks `*` first), giving defaultEncoding', async () => {
    expect(negotiateEncoding('gzip, *', ['gzip', 'br', 'zstd'], 'br')).toBe('br')
    expect(negotiateEncoding('gzip, identity', ['gzip', 'br', 'zstd'], '')).toBe('gzip')
  })

  it('without Accept-Encoding: defaultEncoding if set, else nothing', async () => {
    expect((await through({}, req({}), () => new Response(big))).headers.get('content-encoding')).toBeNull()
    expect((await through({ defaultEncoding: 'br' }, req({}), () => new Response(big))).headers.get('content-encoding')).toBe('br')
  })

  it('zstd: compressed here (the runtime does not encode it), bytes that decode to the body', async () => {
    const res = await through({}, req({ 'accept-encoding': 'zstd' }), () => new Response(chunks(big.slice(0, 700), big.slice(700))))
    expect(res.headers.get('content-encoding')).toBe('zstd')
    expect(zstdDecompressSync(Buffer.from(await res.arrayBuffer())).toString()).toBe(big)
  })

  it("parses media types as Go's mime.ParseMediaType", () => {
    expect(parseMediaType('Text/HTML; Charset="utf-8"')).toEqual({ type: 'text/html', params: new Map([['charset', 'utf-8']]) })
    expect(parseMediaType('text/plain;')).toEqual({ type: 'text/plain', params: new Map() })
    expect(parseMediaType('')).toBeNull()
    expect(parseMediaType('text/plain; a')).toBeNull()
  })
})
