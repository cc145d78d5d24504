// The e2e helpers themselves: a worker on workerd reaches HTTP and HTTPS upstreams on several
// loopback addresses, HTTPS entry points serve with test certificates, and nothing survives stop().
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/local-edge.ts'
import { leafCert, send, startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

const FORWARD = join(REPO_ROOT, 'test/support/fixtures/forward-worker.ts')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('test support', () => {
  let plain: Upstream
  let secure: Upstream
  let edge: TestEdge

  beforeAll(async () => {
    plain = await startUpstream({ host: '127.0.0.2' })
    secure = await startUpstream({ host: '127.0.0.3', tls: true })
    const cert = leafCert({ dns: ['edge.test'], ip: ['127.0.0.1'] })
    edge = await startEdge({
      worker: FORWARD,
      entryPoints: ['web', { name: 'websecure', tls: { certificateChain: cert.cert, privateKey: cert.key } }],
      trustedCertificates: [testCa().cert],
    })
  })
  afterAll(async () => {
    await edge?.stop()
    await plain?.close()
    await secure?.close()
  })

  it('reaches an HTTP upstream on another loopback address and records what it received', async () => {
    const res = await edge.request('/x', { headers: { 'x-forward-to': `${plain.url}/hello?q=1` } })
    expect(res.status).toBe(200)
    expect(res.headers['x-entrypoint']).toBe('web')
    expect(JSON.parse(res.body)).toMatchObject({ server: plain.name, method: 'GET', url: '/hello?q=1' })
    expect(plain.requests.at(-1)!.remoteAddress).toBe('127.0.0.1')
  })

  it('reaches an HTTPS upstream whose certificate comes from the test CA', async () => {
    const res = await edge.request('/', { headers: { 'x-forward-to': `${secure.url}/tls` } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ server: secure.name, url: '/tls' })
  })

  it('serves an HTTPS entry point with its own worker and ENTRYPOINT', async () => {
    expect(edge.url('websecure')).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const res = await edge.request('/', {
      entryPoint: 'websecure',
      ca: testCa().cert,
      headers: { host: 'edge.test', 'x-forward-to': `${plain.url}/s` },
    })
    expect(res.status).toBe(200)
    expect(res.headers['x-entrypoint']).toBe('websecure')
  })

  it('restarts workerd on the same port to trust new outbound CAs, and only then', async () => {
    const other = await startEdge({ worker: FORWARD })
    try {
      const url = other.url()
      const before = await other.request('/', { headers: { 'x-forward-to': `${secure.url}/` } })
      expect(before.status).toBe(502)
      let crashed = false
      void other.local.exited.then(() => (crashed = true))
      expect(await other.local.trust({ trustedCertificates: [testCa().cert], channels: [] })).toBe(true)
      expect(other.url()).toBe(url)
      const after = await other.request('/', { headers: { 'x-forward-to': `${secure.url}/` } })
      expect(after.status).toBe(200)
      expect(await other.local.trust({ trustedCertificates: [testCa().cert], channels: [] })).toBe(false)
      expect(crashed).toBe(false)
    } finally {
      await other.stop()
    }
  })

  it('stops workerd and frees its ports', async () => {
    const other = await startEdge({ worker: FORWARD })
    const url = other.url()
    const pid = other.local.pid
    expect(alive(pid)).toBe(true)
    await other.stop()
    expect(alive(pid)).toBe(false)
    await expect(send(url)).rejects.toThrow(/ECONNREFUSED/)
  })
})
