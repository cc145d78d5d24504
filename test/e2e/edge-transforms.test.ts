/**
 * The transforming middlewares on the real workerd runtime, in front of a real upstream:
 * redirects, regexp path rewrites, encoded-character checks, compression (bytes decoded by the
 * client as a browser would), content-type sniffing, and the ones the runtime cannot run.
 */
import { X509Certificate } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { brotliDecompressSync, createGunzip, createZstdDecompress, gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { leafCert, startEdge, startUpstream, testCa, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

let up: Upstream
let edge: TestEdge
let cloudflare: TestEdge
let problems: string[] = []
/** Lets the upstream's /stream response finish (it waits after its first part). */
let releaseStream: () => void = () => {}

const BIG = 'traefik edge compress '.repeat(300)
const HTML = `<!DOCTYPE html><html><body>${'x'.repeat(40)}</body></html>`

function config(): DynamicConfig {
  const r = (host: string, middlewares: string[]) => ({ rule: `Host(\`${host}\`)`, service: 'up', middlewares })
  return {
    http: {
      routers: {
        scheme: r('scheme.example', ['toHttps']),
        regex: { rule: 'Host(`regex.example`) || Host(`www.regex.example`)', service: 'up', middlewares: ['wwwless'] },
        rewrite: r('rewrite.example', ['downloads', 'stripVersion']),
        encoded: r('encoded.example', ['noEncoded']),
        gzip: r('zip.example', ['compress']),
        picky: r('picky.example', ['compressText']),
        sniff: r('sniff.example', ['sniff']),
        grpc: r('grpc.example', ['grpc']),
        cert: r('cert.example', ['cert']),
      },
      middlewares: {
        toHttps: { redirectScheme: { scheme: 'https', permanent: true } },
        wwwless: { redirectRegex: { regex: '^http://www\\.(.+)$', replacement: 'http://${1}' } },
        downloads: { replacePathRegex: { regex: '^/downloads/([^/]+)/([^/]+)$', replacement: '/files/${2}?from=$1' } },
        stripVersion: { stripPrefixRegex: { regex: ['/v[0-9]+'] } },
        noEncoded: { encodedCharacters: { allowEncodedSemicolon: true } },
        compress: { compress: {} },
        compressText: { compress: { includedContentTypes: ['text/plain'], minResponseBodyBytes: 100 } },
        sniff: { contentType: {} },
        grpc: { grpcWeb: { allowOrigins: ['*'] } },
        cert: { passTLSClientCert: { pem: true } },
      },
      services: { up: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } } },
    },
  }
}

beforeAll(async () => {
  up = await startUpstream({
    name: 'up',
    handler: (req, res, recorded) => {
      const path = (req.url ?? '').split('?')[0]
      if (path === '/big') res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(BIG)
      else if (path === '/big-json') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ BIG }))
      else if (path === '/small') res.writeHead(200, { 'content-type': 'text/plain' }).end('tiny')
      else if (path === '/chunked') {
        // No Content-Length: the edge reads up to the minimum size, then streams the rest.
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write(BIG.slice(0, 500))
        setTimeout(() => res.end(BIG.slice(500)), 20)
      } else if (path === '/stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.write(`data: ${BIG.slice(0, 2000)}\n\n`)
        new Promise<void>((resolve) => (releaseStream = resolve)).then(() => res.end('data: end\n\n'))
      } else if (path === '/pre-gzip') res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync(BIG))
      else if (path === '/untyped') {
        res.removeHeader('content-type')
        res.writeHead(200).end(HTML)
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: 'up', ...recorded }))
    },
  })
  edge = await startEdge({ input: { config: config() } })
  problems = (await edge.apply({ config: config() })).problems
  // A Cloudflare-target table, request.cf given through workerd's cfBlobHeader as Cloudflare would fill it.
  const certOnly: DynamicConfig = {
    http: {
      routers: { cert: { rule: 'Host(`cert.example`)', service: 'up', middlewares: ['cert'] } },
      middlewares: { cert: { passTLSClientCert: { pem: true, info: { notAfter: true, sans: true, subject: { commonName: true } } } } },
      services: { up: { loadBalancer: { servers: [{ url: `http://localhost:${up.port}` }], passHostHeader: false } } },
    },
  }
  cloudflare = await startEdge({ input: { config: certOnly }, target: 'cloudflare', entryPoints: [{ name: 'web', cfBlobHeader: 'cf-blob' }] })
})

afterAll(async () => {
  await cloudflare?.stop()
  await edge?.stop()
  await up?.close()
})

/** The raw response bytes (no decoding), as a client that sent Accept-Encoding receives them. */
function raw(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(path, edge.url())
  return new Promise((resolve, reject) => {
    const req = httpRequest(url.href, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

const echo = (body: string) => JSON.parse(body) as Echo

describe('redirects and rewrites on workerd', () => {
  it('redirectScheme: 301 to https keeping host, path and query; none when X-Forwarded-Proto says https', async () => {
    const res = await edge.request('/a/b?c=1', { headers: { host: 'scheme.example:8000' } })
    expect(res.status).toBe(301)
    expect(res.headers.location).toBe('https://scheme.example/a/b?c=1')
    expect(res.body).toBe('Moved Permanently')
    const post = await edge.request('/form', { method: 'POST', headers: { host: 'scheme.example' }, body: 'x' })
    expect(post.status).toBe(308)
    // X-Forwarded-Proto from an untrusted client is dropped by the entry point: still redirected.
    expect((await edge.request('/', { headers: { host: 'scheme.example', 'x-forwarded-proto': 'https' } })).status).toBe(301)
  })

  it('redirectRegex: Go template expansion on scheme://host/uri; no match goes upstream', async () => {
    const res = await edge.request('/x?y=1', { headers: { host: 'www.regex.example' } })
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('http://regex.example/x?y=1')
    const direct = await edge.request('/x', { headers: { host: 'regex.example' } })
    expect(direct.status).toBe(200)
  })

  it('replacePathRegex then stripPrefixRegex: what the upstream receives, with X-Replaced-Path and X-Forwarded-Prefix', async () => {
    const res = await edge.request('/downloads/src/main.go', { headers: { host: 'rewrite.example' } })
    expect(res.status).toBe(200)
    const got = echo(res.body)
    expect(got.url).toBe('/files/main.go%3Ffrom=src')
    expect(got.headers['x-replaced-path']).toBe('/downloads/src/main.go')
    const stripped = echo((await edge.request('/v2/users?id=3', { headers: { host: 'rewrite.example' } })).body)
    expect(stripped.url).toBe('/users?id=3')
    expect(stripped.headers['x-forwarded-prefix']).toBe('/v2')
    // A result JoinPath would change is refused.
    expect((await edge.request('/v1../etc', { headers: { host: 'rewrite.example' } })).status).toBe(400)
  })

  it("encoded characters: refused on every router by default (Traefik's entry point), the middleware refuses more", async () => {
    for (const path of ['/a%2Fb', '/a%2fb', '/a%5Cb', '/a%00', '/a%3Bb', '/a%25b', '/a%3Fb', '/a%23b']) {
      const res = await edge.request(path, { headers: { host: 'rewrite.example' } })
      expect(res.status, path).toBe(400)
      expect(res.body).toBe('')
    }
    expect(up.requests.some((r) => r.url.includes('%2F'))).toBe(false)
    // Encoded characters that are not ambiguous pass.
    expect(echo((await edge.request('/a%20b%41', { headers: { host: 'sniff.example' } })).body).url).toBe('/a%20b%41')
    const open = await startEdge({ input: { config: config() }, vars: { ALLOW_ENCODED_CHARACTERS: 'allowEncodedSlash,allowEncodedSemicolon' } })
    try {
      const slash = await open.request('/a%2Fb', { headers: { host: 'sniff.example' } })
      expect(slash.status).toBe(200)
      expect(echo(slash.body).url).toBe('/a%2Fb')
      expect((await open.request('/a%25b', { headers: { host: 'sniff.example' } })).status).toBe(400)
      // The encodedCharacters middleware (semicolon allowed, slash not) refuses what the entry point lets through.
      expect((await open.request('/a%2Fb', { headers: { host: 'encoded.example' } })).status).toBe(400)
      expect((await open.request('/a%3Bb', { headers: { host: 'encoded.example' } })).status).toBe(200)
    } finally {
      await open.stop()
    }
  })
})

describe('compress on workerd', () => {
  for (const [encoding, decode] of [
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
    ['zstd', zstdDecompressSync],
  ] as const) {
    it(`${encoding}: compressed bytes that decode to the upstream body, Vary, no Content-Length`, async () => {
      const res = await raw('/big', { host: 'zip.example', 'accept-encoding': encoding })
      expect(res.status).toBe(200)
      expect(res.headers['content-encoding']).toBe(encoding)
      expect(res.headers.vary).toMatch(/Accept-Encoding/)
      expect(res.headers['content-length']).toBeUndefined()
      expect(res.body.length).toBeLessThan(BIG.length / 4)
      expect(decode(res.body).toString()).toBe(BIG)
    })
  }

  it('follows q-values and the server order on ties; nothing acceptable means the body as it came', async () => {
    expect((await raw('/big', { host: 'zip.example', 'accept-encoding': 'gzip;q=0.5, br;q=0.9' })).headers['content-encoding']).toBe('br')
    expect((await raw('/big', { host: 'zip.example', 'accept-encoding': 'zstd, br, gzip' })).headers['content-encoding']).toBe('gzip')
    const none = await raw('/big', { host: 'zip.example', 'accept-encoding': 'compress' })
    expect(none.headers['content-encoding']).toBeUndefined()
    expect(none.body.toString()).toBe(BIG)
  })

  it('leaves small bodies, HEAD, already encoded and excluded types alone; streams an unknown length', async () => {
    const head = await raw('/big', { host: 'zip.example', 'accept-encoding': 'gzip' }, 'HEAD')
    expect(head.headers['content-encoding']).toBeUndefined()
    const small = await raw('/small', { host: 'zip.example', 'accept-encoding': 'gzip' })
    expect(small.headers['content-encoding']).toBeUndefined()
    expect(small.body.toString()).toBe('tiny')
    // An upstream's own encoding is left as it is: compress adds no layer over what the route
    // without compress sends (same coding, same decoded bytes).
    const pre = await raw('/pre-gzip', { host: 'zip.example', 'accept-encoding': 'gzip, br' })
    const without = await raw('/pre-gzip', { host: 'sniff.example', 'accept-encoding': 'gzip, br' })
    expect(pre.headers['content-encoding']).toBe('gzip')
    expect(pre.headers.vary).toMatch(/Accept-Encoding/)
    expect(gunzipSync(pre.body)).toEqual(gunzipSync(without.body))
    const json = await raw('/big-json', { host: 'picky.example', 'accept-encoding': 'gzip' })
    expect(json.headers['content-encoding']).toBeUndefined()
    const chunked = await raw('/chunked', { host: 'picky.example', 'accept-encoding': 'gzip' })
    expect(chunked.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(chunked.body).toString()).toBe(BIG)
  })
})

describe('compress streams', () => {
  for (const [encoding, decoder] of [
    ['gzip', createGunzip],
    ['zstd', createZstdDecompress],
  ] as const) {
    it(`${encoding}: the first part reaches the client decoded while the upstream has not finished`, async () => {
      const url = new URL('/stream', edge.url())
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(url.href, { headers: { host: 'zip.example', 'accept-encoding': encoding }, agent: false }, (res) => {
          expect(res.headers['content-encoding']).toBe(encoding)
          const decode = decoder()
          let out = ''
          decode.on('data', (c: Buffer) => {
            out += c.toString()
            // Only once the client has the first part does the upstream send the end.
            if (out.length >= 2000) releaseStream()
          })
          decode.on('end', () => resolve(out))
          decode.on('error', reject)
          res.pipe(decode)
        })
        req.on('error', reject)
        req.end()
      })
      expect(text).toBe(`data: ${BIG.slice(0, 2000)}\n\ndata: end\n\n`)
    })
  }
})

describe('contentType, and what the runtime cannot do', () => {
  it('contentType: a response the upstream sent without a type gets the sniffed one', async () => {
    const res = await edge.request('/untyped', { headers: { host: 'sniff.example' } })
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toBe(HTML)
  })

  it('grpcWeb and passTLSClientCert on workerd: 501 and a compile-time diagnostic, never served without them', async () => {
    for (const host of ['grpc.example', 'cert.example']) {
      const res = await edge.request('/', { headers: { host } })
      expect(res.status).toBe(501)
      expect(up.requests.some((r) => r.headers.host === host)).toBe(false)
    }
    expect(problems.join('\n')).toMatch(/grpcWeb is not implemented by the edge: it translates gRPC-Web into gRPC/)
    expect(problems.join('\n')).toMatch(/workerd does not give the worker the client certificate/)
  })
})

describe('passTLSClientCert on the Cloudflare target', () => {
  it("sends the client's certificate and its details from request.cf.tlsClientAuth, never the client's own headers", async () => {
    const pem = leafCert({ dns: ['client.example'], ip: ['10.0.0.9'] }).cert
    const cert = new X509Certificate(pem)
    const b64 = cert.raw.toString('base64')
    const ca = new X509Certificate(testCa().cert).raw.toString('base64')
    const blob = JSON.stringify({ tlsClientAuth: { certPresented: '1', certVerified: 'SUCCESS', certRFC9440: `:${b64}:`, certChainRFC9440: `:${ca}:` } })
    const res = await cloudflare.request('/', { headers: { host: 'cert.example', 'cf-blob': blob, 'x-forwarded-tls-client-cert-info': 'forged' } })
    expect(res.status, res.body).toBe(200)
    const got = echo(res.body).headers
    expect(got['x-forwarded-tls-client-cert']).toBe([b64, ca].map(encodeURIComponent).join(','))
    const notAfter = Math.floor(new Date(cert.validTo).getTime() / 1000)
    // Go's QueryUnescape: + is a space.
    expect(decodeURIComponent(String(got['x-forwarded-tls-client-cert-info']).replaceAll('+', ' '))).toBe(
      `Subject="CN=client.example";NA="${notAfter}";SAN="client.example,10.0.0.9",Subject="CN=traefik-edge test CA";NA="${Math.floor(new Date(new X509Certificate(testCa().cert).validTo).getTime() / 1000)}"`,
    )
    // Without a certificate: no headers at all (as Traefik without mutual TLS).
    const none = await cloudflare.request('/', { headers: { host: 'cert.example', 'cf-blob': JSON.stringify({ tlsClientAuth: { certPresented: '0' } }) } })
    expect(echo(none.body).headers['x-forwarded-tls-client-cert']).toBeUndefined()
    // Presented but not verified by Cloudflare (or revoked): Cloudflare still fills the fields; nothing is passed on.
    for (const verdict of [{ certVerified: 'FAILED:self signed certificate' }, { certVerified: 'SUCCESS', certRevoked: '1' }]) {
      const cf = JSON.stringify({ tlsClientAuth: { certPresented: '1', certRFC9440: `:${b64}:`, ...verdict } })
      const refused = await cloudflare.request('/', { headers: { host: 'cert.example', 'cf-blob': cf, 'x-forwarded-tls-client-cert': 'forged' } })
      expect(refused.status).toBe(200)
      expect(echo(refused.body).headers['x-forwarded-tls-client-cert']).toBeUndefined()
    }
  })
})
