import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { detectContentType } from './sniff.ts'

// Byte strings as written (\xFF is one byte); text beyond Latin-1 as UTF-8.
const enc = (s: string) => (/[^\x00-\xff]/.test(s) ? new TextEncoder().encode(s) : Uint8Array.from(s, (c) => c.charCodeAt(0)))
const stream = (s: string) =>
  new ReadableStream({
    start(c) {
      c.enqueue(enc(s))
      c.close()
    },
  })

// Go's net/http sniff_test.go expectations (DetectContentType).
const SNIFF: Array<[string, string, string]> = [
  ['Empty', '', 'text/plain; charset=utf-8'],
  ['Binary', '\x01\x02\x03', 'application/octet-stream'],
  ['HTML document #1', '<HtMl><bOdY>blah blah blah</body></html>', 'text/html; charset=utf-8'],
  ['HTML document #2', '<HTML></HTML>', 'text/html; charset=utf-8'],
  ['HTML document #3 (leading whitespace)', '   <!DOCTYPE HTML>...', 'text/html; charset=utf-8'],
  ['HTML document #4 (leading CRLF)', '\r\n<html>...', 'text/html; charset=utf-8'],
  ['Plain text', 'This is not HTML. It has ☃ though.', 'text/plain; charset=utf-8'],
  ['XML', '\n<?xml!', 'text/xml; charset=utf-8'],
  ['GIF 87a', 'GIF87a', 'image/gif'],
  ['GIF 89a', 'GIF89a...', 'image/gif'],
  ['WEBP image', 'RIFF\x00\x00\x00\x00WEBPVP', 'image/webp'],
  ['PNG image', '\x89PNG\x0D\x0A\x1A\x0A', 'image/png'],
  ['JPEG image', '\xFF\xD8\xFF', 'image/jpeg'],
  ['PDF', '%PDF-1.4', 'application/pdf'],
  ['UTF-8 BOM', '\xEF\xBB\xBFhello', 'text/plain; charset=utf-8'],
  ['UTF-16 BE BOM', '\xFE\xFF\x00h', 'text/plain; charset=utf-16be'],
  ['gzip', '\x1F\x8B\x08', 'application/x-gzip'],
  ['zip', 'PK\x03\x04', 'application/zip'],
  ['wasm', '\x00asm\x01\x00', 'application/wasm'],
  ['woff2', 'wOF2', 'font/woff2'],
  ['MP4 video', '\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbfmdat', 'video/mp4'],
  ['WAV audio', 'RIFF\x00\x00\x00\x00WAVEfmt ', 'audio/wave'],
  ['HTML tag without terminator', '<HTML', 'text/plain; charset=utf-8'],
]

function req(): EdgeRequest {
  return {
    method: 'GET',
    host: 'h',
    path: '/',
    query: '',
    headers: new Headers(),
    body: null,
    clientIp: '192.0.2.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

async function through(config: Record<string, unknown>, upstream: Response) {
  return chain([{ name: 'mw', type: 'contentType', config }], async () => upstream, { target: 'workerd', env: {}, log: () => {} })(req())
}

// pkg/middlewares/contenttype/content_type_test.go:TestAutoDetection, transcribed: `middleware`
// false is the route without it (Traefik's routers disable sniffing), body "Test".
const AUTO_DETECTION: Array<{ desc: string; middleware: boolean; contentType: string; want: string | null }> = [
  { desc: 'Keep the Content-Type returned by the server', middleware: false, contentType: 'application/json', want: 'application/json' },
  { desc: "Don't auto-detect Content-Type header by default when not set by the server", middleware: false, contentType: '', want: null },
  {
    desc: 'Keep the Content-Type returned by the server with auto-detection middleware',
    middleware: true,
    contentType: 'application/json',
    want: 'application/json',
  },
  {
    desc: 'Auto-detect when Content-Type header is not already set by the server with auto-detection middleware',
    middleware: true,
    contentType: '',
    want: 'text/plain; charset=utf-8',
  },
]

describe('TestAutoDetection (Traefik)', () => {
  for (const c of AUTO_DETECTION) {
    it(c.desc, async () => {
      const upstream = async () => new Response(stream('Test'), { headers: c.contentType ? { 'content-type': c.contentType } : {} })
      const res = c.middleware ? await through({}, await upstream()) : await chain([], upstream, { target: 'workerd', env: {}, log: () => {} })(req())
      expect(res.headers.get('content-type')).toBe(c.want)
    })
  }
})

describe('contentType', () => {
  for (const [name, body, want] of SNIFF) {
    it(`sniffs like Go: ${name}`, () => expect(detectContentType(enc(body))).toBe(want))
  }

  it('sets the sniffed type on a response without one, body unchanged and streamed on', async () => {
    const chunks = ['<html><body>', 'x'.repeat(600), '</body></html>']
    const body = new ReadableStream({
      start(c) {
        for (const s of chunks) c.enqueue(new TextEncoder().encode(s))
        c.close()
      },
    })
    const res = await through({}, new Response(body))
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toBe(chunks.join(''))
  })

  it('keeps a Content-Type the upstream sent, and does not sniff encoded, empty or bodiless responses', async () => {
    expect((await through({}, new Response('<html>', { headers: { 'content-type': 'text/x-mine' } }))).headers.get('content-type')).toBe('text/x-mine')
    const encoded = new Response(stream('<html> '), { headers: { 'content-encoding': 'gzip' } })
    expect((await through({}, encoded)).headers.get('content-type')).toBeNull()
    expect((await through({}, new Response(null, { status: 204 }))).headers.get('content-type')).toBeNull()
    const empty = await through({}, new Response(new ReadableStream({ start: (c) => c.close() })))
    expect(empty.headers.get('content-type')).toBeNull()
  })

  it('autoDetect: false (deprecated) leaves the response as it came, as without the middleware', async () => {
    const res = await through({ autoDetect: false }, new Response(stream('<html> ')))
    expect(res.headers.get('content-type')).toBeNull()
  })
})
