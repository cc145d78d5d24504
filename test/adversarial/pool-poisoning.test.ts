/**
 * Issue 17, item 1: responses crossing between clients over pooled upstream connections.
 *
 * An upstream answers `Content-Length: 5` with `hello` and then writes a second, unsolicited
 * response (`X-Evil: 1`, body `POISONED`) on the same kept-alive connection. Before the fix the
 * edge's pool (edge-worker/src/proxy/socket-pool) returned that connection to the pool with the
 * extra bytes buffered, or with them waiting unread in the socket, and the next client on it got
 * `POISONED`, the one after got the previous client's answer, and so on. Go's transport closes a
 * connection whose response did not end exactly at a message boundary, and one that receives
 * data while idle; so must the edge. Three orders, through workerd with real sockets:
 *
 * - the extra response arrives in the same write as the answer (buffered with it);
 * - it arrives while the connection is idle in the pool;
 * - a slow upstream trickles the body and writes the extra response after it, late.
 *
 * Every upstream connection path is tried: the edge's own pool (passHostHeader), the runtime's
 * fetch() (whose pooled connections the edge relies on for passHostHeader false) and a direct
 * upstream's fetch() (a fixed-address service of the workerd config, passHostHeader); workerd
 * closes its connections too, and this keeps it so. The upstream is a raw TCP server (node:net), so that it can
 * misbehave on the wire.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, type TestEdge } from '../support/index.ts'

const POISON = 'HTTP/1.1 200 OK\r\nX-Evil: 1\r\nContent-Length: 8\r\n\r\nPOISONED'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const servers: Server[] = []
/** Connections each upstream accepted (reuse is still expected for well-behaved answers). */
const connections = new Map<string, number>()

/** The answer to one request, by path: misbehaving for /poison-*, an echo of the path otherwise. */
function answer(socket: Socket, path: string): void {
  const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  if (path.startsWith('/poison-with')) {
    socket.write(ok('hello') + POISON)
  } else if (path.startsWith('/poison-idle')) {
    socket.write(ok('hello'))
    setTimeout(() => socket.destroyed || socket.write(POISON), 100)
  } else if (path.startsWith('/poison-late')) {
    // The body trickles in, and the unsolicited response comes after it, late.
    socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel')
    setTimeout(() => socket.destroyed || socket.write('lo'), 60)
    setTimeout(() => socket.destroyed || socket.write(POISON), 160)
  } else socket.write(ok(`you asked for ${path}`))
}

/** A raw HTTP/1.1 upstream on its own loopback address (so each case has its own pool). */
async function rawUpstream(name: string, host: string): Promise<string> {
  const server = createServer((socket) => {
    connections.set(name, (connections.get(name) ?? 0) + 1)
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      // Bodyless requests only: one head per request.
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end)
        buffered = buffered.slice(end + 4)
        answer(socket, head.split(' ')[1] ?? '/')
      }
    })
    socket.on('error', () => {})
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return `http://${host}:${(server.address() as { port: number }).port}`
}

/** Each upstream connection path the edge has, with the loopback addresses of its upstreams. */
const TRANSPORTS = [
  { label: 'pooled socket (passHostHeader true, UpstreamPool object)', tag: 'pool', passHostHeader: true, direct: false, net: '127.0.0.6' },
  // The runtime's own pooled connections: guarded here so that a runtime change cannot bring it back.
  { label: 'runtime fetch() (passHostHeader false)', tag: 'fetch', passHostHeader: false, direct: false, net: '127.0.0.7' },
  { label: "a direct upstream's fetch() (passHostHeader true, fixed-address service)", tag: 'direct', passHostHeader: true, direct: true, net: '127.0.0.9' },
] as const
const CASES = ['with', 'idle', 'late', 'reuse'] as const
/** One edge with fixed-address services for its upstreams, one without (so the pool serves passHostHeader). */
const edges: Record<'direct' | 'pooled', TestEdge | undefined> = { direct: undefined, pooled: undefined }

beforeAll(async () => {
  const configs = { direct: { http: { routers: {}, services: {} } } as DynamicConfig, pooled: { http: { routers: {}, services: {} } } as DynamicConfig }
  for (const t of TRANSPORTS) {
    const config = configs[t.direct ? 'direct' : 'pooled']
    for (const [i, c] of CASES.entries()) {
      const name = `${t.tag}-${c}`
      const url = await rawUpstream(name, `${t.net}${i + 1}`)
      config.http!.routers![name] = { rule: `Host(\`${name}.example\`)`, service: name }
      config.http!.services![name] = { loadBalancer: { servers: [{ url }], passHostHeader: t.passHostHeader } }
    }
  }
  edges.pooled = await startEdge({ input: { config: configs.pooled }, directUpstreams: false })
  edges.direct = await startEdge({ input: { config: configs.direct } })
})

afterAll(async () => {
  await Promise.all(Object.values(edges).map((e) => e?.stop()))
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
})

function edgeFor(name: string): TestEdge {
  return (name.startsWith('direct-') ? edges.direct : edges.pooled)!
}

/** Sequential clients after the misbehaving answer: each must get its own response. */
async function nextClientsGetTheirOwn(name: string, tag: string = name): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const res = await edgeFor(name).request(`/echo/${tag}-${i}`, { headers: { host: `${name}.example` } })
    expect(res.headers['x-evil']).toBeUndefined()
    expect(res.body).toBe(`you asked for /echo/${tag}-${i}`)
  }
}

it("the direct edge's passHostHeader upstreams have fixed-address services, the pooled edge's none", async () => {
  const direct = await readFile(edges.direct!.local.configPath, 'utf8')
  const pooled = await readFile(edges.pooled!.local.configPath, 'utf8')
  expect(direct).toMatch(/\(name = "UPSTREAM_DIRECT_127_2e0_2e0_2e91_3a\d+", service = "upstream-direct-\d+"\)/)
  expect(pooled).not.toContain('UPSTREAM_DIRECT_')
})

describe.each(TRANSPORTS)('$label never hands one client another response', ({ tag }) => {
  it('closes a connection whose response came with extra bytes', async () => {
    const first = await edgeFor(tag + '-').request('/poison-with', { headers: { host: `${tag}-with.example` } })
    expect(first.body).toBe('hello')
    await nextClientsGetTheirOwn(`${tag}-with`)
  })

  it('closes a connection that receives data while idle', async () => {
    const first = await edgeFor(tag + '-').request('/poison-idle', { headers: { host: `${tag}-idle.example` } })
    expect(first.body).toBe('hello')
    // The unsolicited response arrives 100 ms later, while the connection waits in the pool.
    await sleep(300)
    await nextClientsGetTheirOwn(`${tag}-idle`)
  })

  it('closes a connection when a slow upstream writes its trailing bytes late', async () => {
    const first = await edgeFor(tag + '-').request('/poison-late', { headers: { host: `${tag}-late.example` } })
    expect(first.body).toBe('hello')
    await sleep(300)
    await nextClientsGetTheirOwn(`${tag}-late`)
  })

  it('still reuses connections whose answers end at a message boundary', async () => {
    await nextClientsGetTheirOwn(`${tag}-reuse`)
    await nextClientsGetTheirOwn(`${tag}-reuse`, 'again')
    // Eight sequential requests, one after another: they find the previous connection idle.
    expect(connections.get(`${tag}-reuse`)).toBeLessThanOrEqual(2)
  })
})
