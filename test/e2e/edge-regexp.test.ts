/**
 * Go regexps on the real workerd runtime, for both targets: the patterns that run as a native
 * RegExp and those that run on re2js (shared/rules/regexp), in rules and in the rewriting
 * middlewares; and the bundle the edge ships, which must not generate code at run time (workerd
 * and Cloudflare refuse eval, the Function constructor and WebAssembly compiled from bytes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker } from '../../control-plane/runtime/bundle-worker.ts'
import { compileGoRegexp } from '../../shared/rules/regexp/compile.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

let up: Upstream
let edge: TestEdge
let cloudflare: TestEdge

const NATIVE_HOST = '^app-[0-9]+\\.example$'
// `.+` can give back the `.` after it, and `(a|aa)*` backtracks exponentially: both on re2js.
const LINEAR_PATH = '^/files/.+\\.(png|jpe?g)$'
const CATASTROPHIC_PATH = '^/(a|aa)*$'

function config(upstream: string): DynamicConfig {
  return {
    http: {
      routers: {
        native: { rule: `HostRegexp(\`${NATIVE_HOST}\`)`, service: 'up' },
        images: { rule: `Host(\`img.example\`) && PathRegexp(\`${LINEAR_PATH}\`)`, service: 'up' },
        as: { rule: `Host(\`img.example\`) && PathRegexp(\`${CATASTROPHIC_PATH}\`)`, service: 'up', middlewares: ['tagged'] },
        moved: { rule: 'Host(`old.example`)', service: 'up', middlewares: ['move'] },
      },
      middlewares: {
        tagged: { headers: { customRequestHeaders: { 'x-route': 'as' } } },
        // Submatches and Go's template expansion, on re2js.
        move: { redirectRegex: { regex: '^http://old\\.example/(?P<year>[0-9]{4})/(.*)$', replacement: 'http://new.example/${2}?y=$year' } },
      },
      services: { up: { loadBalancer: { servers: [{ url: upstream }], passHostHeader: true } } },
    },
  }
}

beforeAll(async () => {
  up = await startUpstream({ name: 'up' })
  edge = await startEdge({ input: { config: config(up.url) } })
  cloudflare = await startEdge({ input: { config: config(`http://localhost:${up.port}`) }, target: 'cloudflare' })
})

afterAll(async () => {
  await cloudflare?.stop()
  await edge?.stop()
  await up?.close()
})

describe('Go regexps on workerd', () => {
  it('runs each rule on the engine the docs say', () => {
    expect(compileGoRegexp(NATIVE_HOST).engine).toBe('js')
    expect(compileGoRegexp(LINEAR_PATH).engine).toBe('linear')
    expect(compileGoRegexp(CATASTROPHIC_PATH).engine).toBe('linear')
  })

  for (const target of ['workerd', 'cloudflare'] as const) {
    const on = () => (target === 'workerd' ? edge : cloudflare)

    it(`routes by native and re2js regexps (${target} target)`, async () => {
      expect((await on().request('/', { headers: { host: 'app-42.example' } })).status).toBe(200)
      expect((await on().request('/', { headers: { host: 'app-x.example' } })).status).toBe(404)
      expect((await on().request('/files/2024/cat.jpeg', { headers: { host: 'img.example' } })).status).toBe(200)
      expect((await on().request('/files/cat.gif', { headers: { host: 'img.example' } })).status).toBe(404)
      const as = await on().request(`/${'a'.repeat(40)}`, { headers: { host: 'img.example' } })
      expect(as.status).toBe(200)
      expect((JSON.parse(as.body) as Echo).headers['x-route']).toBe('as')
      // 5,000 a's then a b: exponential for a backtracking engine, linear on re2js.
      expect((await on().request(`/${'a'.repeat(5000)}b`, { headers: { host: 'img.example' } })).status).toBe(404)
    })

    it(`rewrites with submatches and Go's template syntax (${target} target)`, async () => {
      const res = await on().request('/2019/notes/a.txt', { headers: { host: 'old.example' } })
      expect(res.status).toBe(302)
      expect(res.headers.location).toBe('http://new.example/notes/a.txt?y=2019')
    })
  }
})

describe('the edge bundle', () => {
  it('generates no code at run time: no eval, no Function constructor, no WebAssembly', async () => {
    const code = await bundleWorker('edge-worker/src/index.ts')
    // re2js is in it (its class names survive bundling).
    expect(code).toContain('RE2JSSyntaxException')
    // `eval(` only as a method (re2js's prefilter has one): called on an object or defined in a class.
    const evals = [...code.matchAll(/(^|[^.\w$])eval\s*\(/gm)].map((m) => code.slice(m.index, code.indexOf('\n', m.index)))
    expect(evals.filter((line) => !/^\s*eval\([\w\s,]*\)\s*\{/.test(line))).toEqual([])
    expect(code).not.toMatch(/\bnew\s+Function\s*\(|(^|[^.\w$])Function\s*\(/m)
    expect(code).not.toMatch(/\bWebAssembly\b/)
  })
})
