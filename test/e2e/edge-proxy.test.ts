/**
 * The reverse proxy on the real workerd runtime, through each of its transports (fetch() when the
 * upstream sees the server's host; when it sees the client's, a direct upstream service's fetch()
 * or HTTP/1.1 over the UpstreamPool object's sockets): Traefik's
 * statuses (502 unreachable, 504 timeout), streaming both ways, redirects passed back as they
 * are, WebSocket upgrades, HTTPS upstreams trusted through a custom CA.
 */
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

const ups: Record<string, Upstream> = {}
let edge: TestEdge
/** The same configuration without fixed-address services: passHostHeader takes the UpstreamPool object. */
let poolEdge: TestEdge
let wss: WebSocketServer
let release: () => void = () => {}
let held: Promise<void> = Promise.resolve()

// Each behaviour is served three times: `client` routes pass the client's Host (a direct upstream
// service's fetch(), or a socket for what it cannot carry), `pool` routes too, through the edge
// without such services (the UpstreamPool object's sockets), `server` routes send the server's
// own host (fetch transport).
const MODES = { client: true, pool: true, server: false } as const
const edgeOf = (mode: string) => (mode === 'pool' ? poolEdge : edge)

function service(url: string, passHostHeader: boolean, transport?: string) {
  return { loadBalancer: { servers: [{ url }], passHostHeader, ...(transport ? { serversTransport: transport } : {}) } }
}

function config(wsUrl: string): DynamicConfig {
  const routers: NonNullable<DynamicConfig['http']>['routers'] = {}
  const services: NonNullable<DynamicConfig['http']>['services'] = {}
  for (const [mode, pass] of Object.entries(MODES)) {
    const add = (name: string, url: string, transport?: string) => {
      routers[`${name}-${mode}`] = { rule: `Host(\`${name}-${mode}.example\`)`, service: `${name}-${mode}` }
      services[`${name}-${mode}`] = service(url, pass, transport)
    }
    add('unreachable', 'http://127.0.0.9:1')
    add('slow', ups.slow!.url, 'quick')
    add('stream', ups.stream!.url)
    add('upload', ups.upload!.url)
    add('redirect', ups.redirect!.url)
    add('tls', ups.tls!.url)
    add('ws', wsUrl)
    add('hop', ups.hop!.url)
    add('te', ups.te!.url)
    // Traefik flushes a non-streaming response every flushInterval; the edge forwards each chunk as it comes.
    routers[`flush-${mode}`] = { rule: `Host(\`flush-${mode}.example\`)`, service: `flush-${mode}` }
    services[`flush-${mode}`] = { loadBalancer: { servers: [{ url: ups.plain!.url }], passHostHeader: pass, responseForwarding: { flushInterval: '1h' } } }
  }
  return { http: { routers, services, serversTransports: { quick: { forwardingTimeouts: { responseHeaderTimeout: '300ms' } } } } }
}

beforeAll(async () => {
  const [slow, stream, upload, redirect, tls, plain, hop, te] = await Promise.all([
    startUpstream({ host: '127.0.0.2', name: 'slow', handler: async (_q, res) => void setTimeout(() => res.end('late'), 3000) }),
    heldStream('127.0.0.3', 'stream', 'text/event-stream', 'data: first\n\n', 'data: last\n\n'),
    conversationServer('127.0.0.4'),
    startUpstream({ host: '127.0.0.5', name: 'redirect', handler: (_q, res) => void res.writeHead(302, { location: '/elsewhere' }).end() }),
    startUpstream({ host: '127.0.0.6', name: 'tls', tls: true }),
    heldStream('127.0.0.8', 'plain', 'text/plain', 'part one;', 'part two'),
    // Every hop-by-hop header Go's proxy removes from a response, and one that Connection names.
    startUpstream({
      host: '127.0.0.10',
      name: 'hop',
      handler: (_q, res) =>
        void res
          .writeHead(200, {
            connection: 'x-hop-secret',
            'x-hop-secret': 'hidden',
            'keep-alive': 'timeout=5',
            'proxy-connection': 'keep-alive',
            'proxy-authenticate': 'Basic realm="upstream"',
            te: 'trailers',
            'x-kept': 'yes',
          })
          .end('ok'),
    }),
    // TE alone: workerd's server never writes it (the proxy does not look for it there).
    startUpstream({ host: '127.0.0.11', name: 'te', handler: (_q, res) => void res.writeHead(200, { te: 'trailers', 'x-kept': 'yes' }).end('ok') }),
  ])
  Object.assign(ups, { slow, stream, upload, redirect, tls, plain, hop, te })
  wss = new WebSocketServer({ host: '127.0.0.7', port: 0 })
  wss.on('connection', (socket, req) => {
    socket.send(`host ${req.headers.host} proto ${req.headers['x-forwarded-proto']}`)
    socket.on('message', (m, binary) => socket.send(binary ? m : `echo ${m.toString()}`))
    socket.on('close', (code, reason) => closes.push(`${code} ${reason.toString()}`))
  })
  await new Promise((r) => wss.once('listening', r))
  const input = { config: config(`http://127.0.0.7:${(wss.address() as AddressInfo).port}`) }
  ;[edge, poolEdge] = await Promise.all([
    startEdge({ input, trustedCertificates: [testCa().cert] }),
    startEdge({ input, trustedCertificates: [testCa().cert], directUpstreams: false }),
  ])
})

afterAll(async () => {
  release()
  await Promise.all([edge?.stop(), poolEdge?.stop()])
  wss?.close()
  await Promise.all(Object.values(ups).map((u) => u.close()))
})

/** Sends `first`, then `last` only once `held` resolves (the client has seen `first`). */
function heldStream(host: string, name: string, contentType: string, first: string, last: string): Promise<Upstream> {
  return startUpstream({
    host,
    name,
    handler: async (_q, res) => {
      res.writeHead(200, { 'content-type': contentType })
      res.write(first)
      await held
      res.end(last)
    },
  })
}

/** Answers each piece of the request body as it arrives: a conversation only full streaming allows. */
async function conversationServer(host: string): Promise<Upstream> {
  const server = createServer(async (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    for await (const chunk of req) res.write(`got ${String(chunk)};`)
    res.end('end')
  })
  await new Promise<void>((r) => server.listen(0, host, r))
  const { port } = server.address() as AddressInfo
  return { name: 'upload', host, port, url: `http://${host}:${port}`, requests: [], close: () => new Promise((r) => server.close(() => r())) }
}

const closes: string[] = []

describe.each(Object.keys(MODES))('proxy on workerd (%s host)', (mode) => {
  const host = (name: string) => `${name}-${mode}.example`
  const get = (name: string, path = '/') => edgeOf(mode).request(path, { headers: { host: name } })

  it('answers 502 Bad Gateway when the server cannot be reached', async () => {
    const res = await get(host('unreachable'))
    expect(res.status).toBe(502)
    expect(res.body).toBe('Bad Gateway')
  })

  it('answers 504 Gateway Timeout past responseHeaderTimeout', async () => {
    const res = await get(host('slow'))
    expect(res.status).toBe(504)
    expect(res.body).toBe('Gateway Timeout')
  })

  /** Reads a response whose upstream sends the rest only once `first` has reached the client. */
  async function streamed(name: string, first: string): Promise<string> {
    held = new Promise((r) => (release = r))
    const url = new URL(edgeOf(mode).url())
    const chunks: string[] = []
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/', headers: { host: host(name) } }, (res) => {
        expect(res.statusCode).toBe(200)
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          chunks.push(c)
          // Only once the first part is through does the upstream send the rest.
          if (chunks.join('').includes(first)) release()
        })
        res.on('end', resolve)
        res.on('error', reject)
      })
      req.on('error', reject)
      req.setTimeout(5000, () => req.destroy(new Error('the first part never arrived before the end')))
      req.end()
    })
    return chunks.join('')
  }

  it('streams the response: the first event arrives before the upstream has finished', async () => {
    expect(await streamed('stream', 'first')).toBe('data: first\n\ndata: last\n\n')
  })

  it('forwards each chunk as it arrives with a positive flushInterval (1h), never later than Traefik', async () => {
    expect(await streamed('flush', 'part one;')).toBe('part one;part two')
  })

  it('streams the request body up while the response streams down', async () => {
    const url = new URL(edgeOf(mode).url())
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, method: 'POST', path: '/up', headers: { host: host('upload'), 'transfer-encoding': 'chunked' } },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => {
            text += c
            // The second piece leaves only once the upstream has answered the first.
            if (text === 'got one;') req.end('two')
          })
          res.on('end', () => resolve(text))
        },
      )
      req.on('error', reject)
      req.setTimeout(5000, () => req.destroy(new Error(`no streaming: got nothing back for the first piece`)))
      req.write('one')
    })
    expect(body).toBe('got one;got two;end')
  })

  it("removes the response's hop-by-hop headers, and those its Connection names, before the client sees them", async () => {
    const res = await get(host('hop'))
    expect(res.status).toBe(200)
    expect(res.headers['x-kept']).toBe('yes')
    for (const name of ['x-hop-secret', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'te']) expect(res.headers[name], name).toBeUndefined()
    expect(res.headers.connection ?? 'keep-alive').toMatch(/^(keep-alive|close)$/i)
    const alone = await get(host('te'))
    expect([alone.headers['x-kept'], alone.headers.te]).toEqual(['yes', undefined])
  })

  it('passes redirects back instead of following them', async () => {
    const res = await get(host('redirect'))
    expect(res.status).toBe(302)
    expect(res.headers.location).toBe('/elsewhere')
  })

  it('reaches an HTTPS upstream whose certificate chains to a custom CA', async () => {
    const res = await get(host('tls'), '/secure')
    expect(res.status, res.body).toBe(200)
    const echo = JSON.parse(res.body)
    expect(echo.url).toBe('/secure')
    expect(echo.headers.host).toBe(mode !== 'server' ? host('tls') : `${ups.tls!.host}:${ups.tls!.port}`)
  })

  it('passes WebSocket upgrades through: text and binary both ways, and the close', async () => {
    const ws = new WebSocket(edgeOf(mode).url().replace('http', 'ws') + '/socket', { headers: { host: host('ws') } })
    const messages: Array<string | number[]> = []
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (m, binary) => {
        messages.push(binary ? [...(m as Buffer)] : m.toString())
        if (messages.length === 1) ws.send('hello')
        else if (messages.length === 2) ws.send(Buffer.from([1, 2, 3]))
        else resolve()
      })
      ws.on('error', reject)
    })
    const before = closes.length
    ws.close(4000, 'bye')
    const deadline = Date.now() + 3000
    while (closes.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    // The upstream sees the client's Host exactly when passHostHeader is on.
    expect(messages[0]).toBe(`host ${mode !== 'server' ? host('ws') : `127.0.0.7:${(wss.address() as AddressInfo).port}`} proto ws`)
    expect(messages.slice(1)).toEqual(['echo hello', [1, 2, 3]])
    expect(closes[before]).toBe('4000 bye')
  })
})
