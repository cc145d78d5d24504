/**
 * errors: Traefik's customerrors cases (middlewares.json, with their error service) through the
 * real edge on workerd: one router per case (picked by an X-Case header), the case's upstream
 * status from a real upstream, the page from a real page service per case; what the client gets
 * and what the page service was asked (path, Host, headers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../../../shared/dynamic/types.ts'
import { middlewareCases } from '../../../../test/support/middleware-cases.ts'
import { startEdge, startUpstream, type TestEdge, type Upstream } from '../../../../test/support/index.ts'
import { STATUS_TEXT } from '../../request.ts'

interface ErrorsCase {
  config: Record<string, unknown>
  request: { method: string; url: string; headers: Record<string, string> }
  upstreamResponse: { status: number }
  errorService?: { responds?: string }
  expect: {
    status: number
    bodyContains?: string
    errorServiceCalled?: boolean
    errorServicePath?: string
    errorServiceRequestHost?: string
    errorServiceRequestHeaders?: Record<string, string | null>
  }
  source: string
}

const cases = middlewareCases('errors') as unknown as ErrorsCase[]
const TEXT: Record<number, string> = { ...STATUS_TEXT, 200: 'OK', 206: 'Partial Content' }

let app: Upstream
const pages: Upstream[] = []
let rewritePage: Upstream
let edge: TestEdge

beforeAll(async () => {
  // The upstream answers the status the case's request asks for, with Go's status text.
  app = await startUpstream({
    host: '127.0.0.2',
    handler: (req, res) => {
      const status = Number(req.headers['x-status'])
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(status === 304 ? undefined : `${TEXT[status] ?? ''}\n`)
    },
  })
  for (const c of cases) {
    const body = c.errorService?.responds ?? c.expect.bodyContains ?? 'page'
    pages.push(await startUpstream({ host: '127.0.0.3', handler: (_req, res) => void res.end(body) }))
  }
  rewritePage = await startUpstream({ host: '127.0.0.4', handler: (_req, res) => void res.writeHead(200, { 'x-page': 'yes' }).end('rewritten page') })
  const config: DynamicConfig = {
    http: { routers: {}, middlewares: {}, services: { app: { loadBalancer: { servers: [{ url: app.url }], passHostHeader: true } } } },
  }
  cases.forEach((c, i) => {
    config.http!.routers![`case${i}`] = { rule: `Header(\`X-Case\`, \`${i}\`)`, service: 'app', middlewares: [`errors${i}`] }
    config.http!.middlewares![`errors${i}`] = { errors: { ...c.config, service: `page${i}` } }
    config.http!.services![`page${i}`] = { loadBalancer: { servers: [{ url: pages[i]!.url }], passHostHeader: true } }
  })
  // A host router (its own table part): the page service, reachable only through the middleware, must travel with it.
  config.http!.routers!.rewrite = { rule: 'Host(`rewrite.example`)', service: 'app', middlewares: ['rewrite'] }
  config.http!.middlewares!.rewrite = {
    errors: { status: ['500-599'], statusRewrites: { '500-502': 418 }, query: '{status}/{originalStatus}?u={url}', service: 'rewritePage@kubernetescrd' },
  }
  config.http!.services!.rewritePage = { loadBalancer: { servers: [{ url: rewritePage.url }], passHostHeader: true } }
  edge = await startEdge({ input: { config } })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all([app?.close(), rewritePage?.close(), ...pages.map((p) => p.close())])
})

describe('errors: middlewares.json through workerd', () => {
  it('has every case', () => expect(cases.length).toBe(12))
  cases.forEach((c, i) => {
    it(c.source.split(':').pop()!, async () => {
      const url = new URL(c.request.url)
      const res = await edge.request(url.pathname + url.search, {
        method: c.request.method,
        headers: { host: url.host, 'x-case': String(i), 'x-status': String(c.upstreamResponse.status), ...c.request.headers },
      })
      expect(res.status).toBe(c.expect.status)
      if (c.expect.bodyContains !== undefined) expect(res.body).toContain(c.expect.bodyContains)
      const asked = pages[i]!.requests
      const called = c.expect.errorServiceCalled ?? true
      expect(asked.length).toBe(called ? 1 : 0)
      if (!called) return
      const page = asked[0]!
      expect(page.method).toBe('GET')
      if (c.expect.errorServicePath !== undefined) expect(page.url).toBe(c.expect.errorServicePath)
      if (c.expect.errorServiceRequestHost !== undefined) expect(page.headers.host).toBe(c.expect.errorServiceRequestHost)
      for (const [k, v] of Object.entries(c.expect.errorServiceRequestHeaders ?? {})) expect(page.headers[k.toLowerCase()] ?? null).toBe(v)
      // The upstream's own error body never reaches the client.
      if (called) expect(res.body).not.toContain(`${TEXT[c.upstreamResponse.status]}\n`)
    })
  })
})

describe('errors at the edge', () => {
  it('rewrites the status, fills {status}, {originalStatus} and {url}, keeps the page headers, from a host part of the table', async () => {
    const res = await edge.request('/a%20b?x=1', { headers: { host: 'rewrite.example', 'x-status': '502' } })
    expect(res.status).toBe(418)
    expect(res.body).toBe('rewritten page')
    expect(res.headers['x-page']).toBe('yes')
    expect(rewritePage.requests.at(-1)!.url).toBe('/418/502?u=http%3A%2F%2Frewrite.example%2Fa%2520b%3Fx%3D1')
    const untouched = await edge.request('/', { headers: { host: 'rewrite.example', 'x-status': '503' } })
    expect(untouched.status).toBe(503)
    expect(rewritePage.requests.at(-1)!.url).toBe('/503/503?u=http%3A%2F%2Frewrite.example%2F')
    const passed = await edge.request('/', { headers: { host: 'rewrite.example', 'x-status': '404' } })
    expect(passed.status).toBe(404)
    expect(passed.body).toBe('Not Found\n')
  })
})
