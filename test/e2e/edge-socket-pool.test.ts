/**
 * passHostHeader's transport on workerd: the client's Host over kept-alive HTTP/1.1 connections
 * owned by the UpstreamPool Durable Object (edge-worker/src/proxy/socket-pool). What the upstream
 * really sees: the client's Host, fewer connections than requests, bodies of every framing, a
 * connection the server closed while idle replaced without an error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

let edge: TestEdge
let keep: Upstream
let brief: Upstream
const ports = new Set<number>()
const briefPorts = new Set<number>()

function lb(url: string) {
  return { loadBalancer: { servers: [{ url }], passHostHeader: true } }
}

beforeAll(async () => {
  keep = await startUpstream({
    host: '127.0.0.21',
    name: 'keep',
    handler: (req: IncomingMessage, res: ServerResponse, recorded) => {
      ports.add(req.socket.remotePort!)
      const body = JSON.stringify({ host: req.headers.host, url: req.url, body: recorded.body, connection: req.headers.connection ?? null })
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write(body.slice(0, 5))
        res.end(body.slice(5))
      } else if (req.url === '/empty') res.writeHead(204).end()
      else res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body)
    },
  })
  brief = await startUpstream({
    host: '127.0.0.22',
    name: 'brief',
    handler: (req, res) => {
      briefPorts.add(req.socket.remotePort!)
      res.end(`brief ${req.headers.host}`)
      // The server drops the kept-alive connection while it is idle, as servers do after their keep-alive timeout.
      setTimeout(() => req.socket.destroy(), 100).unref()
    },
  })
  const config: DynamicConfig = {
    http: {
      routers: {
        keep: { rule: 'Host(`keep.example`)', service: 'keep' },
        brief: { rule: 'Host(`brief.example`)', service: 'brief' },
      },
      services: { keep: lb(keep.url), brief: lb(brief.url) },
    },
  }
  // Without fixed-address services: every passHostHeader request takes the pool.
  edge = await startEdge({ input: { config }, directUpstreams: false })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all([keep, brief].map((u) => u?.close()))
})

describe('pooled socket transport (passHostHeader) on workerd', () => {
  it('sends the client Host over fewer connections than requests', async () => {
    ports.clear()
    for (let i = 0; i < 12; i++) {
      const res = await edge.request(`/n${i}`, { headers: { host: 'keep.example' } })
      expect(res.status).toBe(200)
      const echo = JSON.parse(res.body)
      expect(echo).toMatchObject({ host: 'keep.example', url: `/n${i}`, connection: null })
    }
    // Sequential requests find the previous connection idle: one or two, never twelve.
    expect(ports.size).toBeLessThanOrEqual(2)
  })

  it('reads every body framing to its end before reusing the connection', async () => {
    ports.clear()
    const chunked = await edge.request('/chunked', { headers: { host: 'keep.example' } })
    expect(JSON.parse(chunked.body)).toMatchObject({ url: '/chunked', host: 'keep.example' })
    const empty = await edge.request('/empty', { headers: { host: 'keep.example' } })
    expect(empty.status).toBe(204)
    const posted = await edge.request('/post', { method: 'POST', headers: { host: 'keep.example' }, body: 'payload' })
    expect(JSON.parse(posted.body)).toMatchObject({ url: '/post', body: 'payload' })
    const head = await edge.request('/head', { method: 'HEAD', headers: { host: 'keep.example' } })
    expect(head.status).toBe(200)
    const after = await edge.request('/after', { headers: { host: 'keep.example' } })
    expect(JSON.parse(after.body)).toMatchObject({ url: '/after' })
    expect(ports.size).toBeLessThanOrEqual(2)
  })

  it('replaces a connection the server closed while idle, without an error', async () => {
    briefPorts.clear()
    const first = await edge.request('/', { headers: { host: 'brief.example' } })
    expect(first.body).toBe('brief brief.example')
    await new Promise((r) => setTimeout(r, 400))
    const second = await edge.request('/', { headers: { host: 'brief.example' } })
    expect(second.status).toBe(200)
    expect(second.body).toBe('brief brief.example')
    expect(briefPorts.size).toBe(2)
  })

  it('drops the hop-by-hop headers a client sent, and keeps TE: trailers', async () => {
    const before = keep.requests.length
    await edge.request('/hop', {
      headers: { host: 'keep.example', 'keep-alive': 'timeout=5', 'proxy-authorization': 'Basic eA==', te: 'trailers', 'x-kept': 'yes' },
    })
    const seen = keep.requests[before]!.headers
    expect(seen['keep-alive']).toBeUndefined()
    expect(seen['proxy-authorization']).toBeUndefined()
    expect(seen.te).toBe('trailers')
    expect(seen['x-kept']).toBe('yes')
    expect(seen['x-forwarded-for']).toBe('127.0.0.1')
  })
})
