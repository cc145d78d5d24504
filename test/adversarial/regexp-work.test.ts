/**
 * A route author's regexp must not stall every route (issue 17, item 5). `PathRegexp` with nine
 * `x{0,1000}` groups (about 18k automaton states, a valid Go regexp) against a 60 KB path took
 * 18.6 s, and a request for another host waited 16.3 s behind it. The edge bounds the work of
 * one match (states × input length): a request beyond it is answered as a non-match (the next
 * router, or 404), at once, and the build says which rules that concerns.
 *
 * Through the real runtime: the worker on workerd, raw requests on sockets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeInput, startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'
import { rawRequest, requestText } from '../support/raw-http.ts'

const HEAVY = `${'x{0,1000}'.repeat(9)}y`

let up: Upstream
let edge: TestEdge
let port: number

function config(): DynamicConfig {
  return {
    http: {
      routers: {
        heavy: { rule: `Host(\`heavy.example\`) && PathRegexp(\`${HEAVY}\`)`, service: 'up' },
        heavyHeader: { rule: `Host(\`heavy.example\`) && HeaderRegexp(\`X-Probe\`, \`${HEAVY}\`)`, service: 'up', priority: 5 },
        calm: { rule: 'Host(`calm.example`)', service: 'up' },
      },
      middlewares: {},
      services: { up: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } } },
    },
  }
}

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2', name: 'up' })
  edge = await startEdge({ input: { config: config() } })
  port = Number(new URL(edge.url()).port)
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

async function timed(path: string, host: string, extra: string[] = [], timeoutMs = 30_000): Promise<{ status: number; ms: number }> {
  const start = performance.now()
  const res = await rawRequest(port, requestText(path, [`Host: ${host}`, ...extra]), timeoutMs)
  return { status: res.status, ms: performance.now() - start }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

describe('a regexp with 18k states against a 60 KB path', () => {
  it('matches a short path as Go would', async () => {
    expect((await timed('/xxxy', 'heavy.example')).status).toBe(200)
    expect((await timed('/xxxz', 'heavy.example')).status).toBe(404)
  })

  it('is answered as a non-match at once, and another host keeps its latency', async () => {
    const baseline: number[] = []
    for (let i = 0; i < 7; i++) baseline.push((await timed('/', 'calm.example')).ms)
    const long = `/${'x'.repeat(60_000)}`
    const heavy = timed(long, 'heavy.example')
    heavy.catch(() => {}) // awaited below; a failure before that must not go unhandled
    // The other host's requests, while the long one is being matched.
    await new Promise((r) => setTimeout(r, 50))
    const during: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await timed('/', 'calm.example', [], 5_000)
      expect(res.status).toBe(200)
      during.push(res.ms)
    }
    const answer = await heavy
    expect(answer.status).toBe(404)
    expect(answer.ms).toBeLessThan(2_000)
    // A generous margin: the same machine is busy with other tests.
    expect(median(during)).toBeLessThan(median(baseline) + 250)
  })

  it('bounds header regexps the same way', async () => {
    const res = await timed('/', 'heavy.example', [`X-Probe: ${'x'.repeat(30_000)}`])
    expect(res.status).toBe(404)
    expect(res.ms).toBeLessThan(2_000)
  })

  it('is reported when the table is built, with the input length beyond which it does not match', () => {
    const { problems } = buildEdgeInput({ config: config() })
    expect(problems.some((p) => /^router heavy: rule: PathRegexp .*states.*longer than \d+ characters/.test(p))).toBe(true)
  })
})
