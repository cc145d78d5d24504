/**
 * Traefik's own middleware test cases (test/traefik/conformance/middlewares.json), every one of
 * them run against the edge: the path, redirect, compress and encodedCharacters cases here,
 * through the real pipeline (chain) with a recording next handler; the others by the test
 * beside their middleware (DELEGATED), which this file checks exist and name their type.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../../test/support/traefik-data.ts'
import type { EdgeRequest } from '../request.ts'
import { negotiateEncoding } from './compress/accept-encoding.ts'
import { chain } from './index.ts'
import { unescapePath } from './toolkit/path.ts'

interface Case {
  middleware: string
  config: Record<string, unknown>
  configError?: boolean
  internalOption?: Record<string, unknown>
  request?: { method: string; url: string; headers: Record<string, string | string[]>; remoteAddr?: string; tls?: boolean }
  upstreamResponse?: { status: number; headers: Record<string, string> }
  expect?: {
    status?: number
    forwardedToNext?: boolean
    location?: string | null
    selectedEncoding?: string
    upstreamPath?: string | null
    upstreamPathUnchanged?: boolean
    upstreamDecodedPath?: string
    upstreamHeaders?: Record<string, string | null>
  }
  source: string
}

const TOTAL_CASES = 369

/** Types whose cases run in the test beside their middleware (file relative to this folder). */
const DELEGATED: Record<string, { file: string; count: number }> = {
  ipChecker: { file: '../../../shared/ip/conformance.test.ts', count: 87 },
  ipStrategy: { file: '../../../shared/ip/conformance.test.ts', count: 17 },
  ipAllowList: { file: 'ip-allow-list/index.test.ts', count: 15 },
  basicAuth: { file: 'basic-auth/index.test.ts', count: 60 },
  headers: { file: 'headers/index.test.ts', count: 39 },
  errors: { file: 'errors/conformance.test.ts', count: 12 },
}

/** Types run here, with their number of cases. */
const HERE: Record<string, number> = {
  addPrefix: 5,
  compress: 23,
  encodedCharacters: 14,
  redirectRegex: 16,
  redirectScheme: 28,
  replacePath: 5,
  replacePathRegex: 12,
  stripPrefix: 15,
  stripPrefixRegex: 21,
}

/**
 * Cases whose transcription says more than Traefik's test checks; what the edge does instead
 * is Traefik's behaviour (docs/conformance.md, "Middlewares").
 */
const TRANSCRIPTION_NOTES: Record<string, (c: Case) => Case> = {
  // Traefik's test only compares X-Replaced-Path when it expects one (expectedHeader != ""): a
  // null here means "not checked", and Traefik does set it on this match.
  'pkg/middlewares/replacepathregex/replace_path_regex_test.go:TestReplacePathRegex/path with percent encoded backspace char': (c) => ({
    ...c,
    expect: { ...c.expect, upstreamHeaders: { 'X-Replaced-Path': '/foo/%08bar' } },
  }),
}

const all = conformanceCases<Case[]>('middlewares.json')
const here = all.filter((c) => c.middleware in HERE).map((c) => TRANSCRIPTION_NOTES[c.source]?.(c) ?? c)
const edge = { target: 'workerd' as const, env: {}, log: () => {} }

function edgeRequest(r: NonNullable<Case['request']>): EdgeRequest {
  // The URL's path as Go's test request has it: as written (WHATWG URL would escape a space Go
  // keeps), and empty for `http://foo` (a request on the wire has `/`).
  const m = /^(https?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(r.url)!
  const headers = new Headers()
  let host = m[2]!
  for (const [k, v] of Object.entries(r.headers)) {
    if (k.toLowerCase() === 'host') host = [v].flat()[0] ?? ''
    else for (const line of [v].flat()) headers.append(k, line)
  }
  return {
    method: r.method,
    host,
    path: m[3]!,
    query: m[4] ?? '',
    headers,
    body: null,
    clientIp: '192.0.2.1',
    tls: r.tls === true || m[1] === 'https',
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

/** Traefik's internal-only options (json:"-") as the edge's factories take them. */
function configOf(c: Case): Record<string, unknown> {
  const { '-': _internal, ...config } = c.config
  if (c.internalOption?.ForcePermanentRedirect) return { ...config, forcePermanentRedirect: true }
  return config
}

async function run(c: Case, body = '') {
  let seen: EdgeRequest | null = null
  const next = async (req: EdgeRequest) => {
    seen = { ...req, headers: new Headers(req.headers) }
    return new Response(body, { status: c.upstreamResponse?.status ?? 200, headers: c.upstreamResponse?.headers ?? {} })
  }
  const handler = chain([{ name: 'mw', type: c.middleware, config: configOf(c) }], next, edge)
  const res = await handler(edgeRequest(c.request!))
  return { res, upstream: seen as EdgeRequest | null }
}

describe('middlewares.json: every case is run', () => {
  it(`has ${TOTAL_CASES} cases, each of a type run here or by its middleware's own test`, () => {
    expect(all.length).toBe(TOTAL_CASES)
    const counts = new Map<string, number>()
    for (const c of all) counts.set(c.middleware, (counts.get(c.middleware) ?? 0) + 1)
    const expected = new Map([...Object.entries(HERE), ...Object.entries(DELEGATED).map(([k, v]) => [k, v.count] as [string, number])])
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected))
    expect(here.length).toBe(Object.values(HERE).reduce((a, b) => a + b, 0))
  })

  for (const [type, { file }] of Object.entries(DELEGATED)) {
    it(`${type}: run by ${file}`, () => {
      const path = join(import.meta.dirname, file)
      expect(existsSync(path)).toBe(true)
      expect(readFileSync(path, 'utf8')).toContain(`'${type}'`)
    })
  }
})

describe('middlewares.json through the edge middlewares', () => {
  for (const c of here) {
    it(c.source, async () => {
      if (c.configError) {
        const res = await chain(
          [{ name: 'mw', type: c.middleware, config: configOf(c) }],
          async () => new Response('upstream'),
          edge,
        )(edgeRequest({ method: 'GET', url: 'http://localhost/', headers: {} }))
        // A configuration Traefik refuses cannot serve: the route answers 500, never the upstream.
        expect(res.status).toBe(500)
        return
      }
      if (!c.request) {
        // Traefik's test only builds the middleware: it must serve.
        const res = await chain(
          [{ name: 'mw', type: c.middleware, config: configOf(c) }],
          async () => new Response('upstream'),
          edge,
        )(edgeRequest({ method: 'GET', url: 'http://localhost/', headers: {} }))
        expect(await res.text()).toBe('upstream')
        return
      }
      const want = c.expect!
      if (want.selectedEncoding !== undefined) {
        const config = c.config as { encodings?: string[]; defaultEncoding?: string }
        const accept = [c.request!.headers['Accept-Encoding'] ?? ''].flat().join(', ')
        expect(negotiateEncoding(accept, config.encodings ?? ['gzip', 'br', 'zstd'], config.defaultEncoding ?? '')).toBe(want.selectedEncoding)
        // And the middleware answers with it: a coding, or the body as it came.
        const { res } = await run(c, 'x'.repeat(2048))
        const coded = want.selectedEncoding === 'identity' || want.selectedEncoding === 'not_acceptable' ? null : want.selectedEncoding
        expect(res.headers.get('content-encoding')).toBe(coded)
        return
      }
      const { res, upstream } = await run(c)
      expect(res.status).toBe(want.status)
      if (want.location !== undefined) expect(res.headers.get('location')).toBe(want.location)
      if (want.forwardedToNext !== undefined) expect(upstream !== null).toBe(want.forwardedToNext)
      if (want.status !== 200) return
      expect(upstream).not.toBeNull()
      const original = edgeRequest(c.request!).path
      if (want.upstreamPathUnchanged) expect(upstream!.path).toBe(original)
      else if (want.upstreamPath != null) expect(upstream!.path === '' ? '/' : upstream!.path).toBe(want.upstreamPath)
      if (want.upstreamDecodedPath !== undefined) expect(unescapePath(upstream!.path)).toBe(want.upstreamDecodedPath)
      for (const [k, v] of Object.entries(want.upstreamHeaders ?? {})) expect(upstream!.headers.get(k), k).toBe(v)
    })
  }
})
