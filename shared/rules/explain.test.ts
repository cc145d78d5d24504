import { describe, expect, it } from 'vitest'
import { explainRule } from './explain.ts'
import { compileMatcher } from './matchers.ts'
import { parseRule } from './parser.ts'
import type { MatchRequest } from './request.ts'

function req(over: Partial<Omit<MatchRequest, 'headers' | 'query'>> & { headers?: Record<string, string>; query?: string } = {}): MatchRequest {
  return {
    host: over.host ?? 'a.example',
    method: over.method ?? 'GET',
    path: over.path ?? '/',
    headers: new Headers(over.headers ?? {}),
    query: new URLSearchParams(over.query ?? ''),
    clientIp: over.clientIp ?? '10.0.0.1',
  }
}

const explain = (rule: string, r: MatchRequest) => explainRule(parseRule(rule), rule, r)

describe('explainRule', () => {
  it('reports the first failing clause of a conjunction with its text, offsets and what the request had', () => {
    const rule = 'Host(`a.example`) && PathPrefix(`/api`) && Method(`POST`)'
    const e = explain(rule, req({ path: '/web' }))
    expect(e.matched).toBe(false)
    expect(e.failed).toHaveLength(1)
    expect(e.failed[0]).toMatchObject({ text: 'PathPrefix(`/api`)', matcher: 'PathPrefix', args: ['/api'], observed: 'path is "/web"' })
    expect(rule.slice(e.failed[0]!.start, e.failed[0]!.end)).toBe('PathPrefix(`/api`)')
    // Go's && stops at the first false: Method is never evaluated.
    expect(explain(rule, req({ path: '/api/x' })).failed[0]!.text).toBe('Method(`POST`)')
  })

  it('lists every failed alternative of a disjunction, the first one first', () => {
    const rule = 'Host(`b.example`) || Header("X-Env", "dev")'
    const e = explain(rule, req())
    expect(e.failed.map((c) => c.text)).toEqual(['Host(`b.example`)', 'Header("X-Env", "dev")'])
    expect(e.failed[1]!.observed).toBe('no X-Env header')
    expect(explain(rule, req({ headers: { 'x-env': 'dev' } }))).toEqual({ matched: true, failed: [] })
  })

  it('reports a negation that failed as the whole negated clause', () => {
    const rule = 'PathPrefix(`/`) && !( Method(`GET`) || Method(`HEAD`) )'
    const e = explain(rule, req())
    expect(e.failed).toHaveLength(1)
    expect(e.failed[0]).toMatchObject({ matcher: '!', text: '!( Method(`GET`) || Method(`HEAD`) )' })
    expect(e.failed[0]!.observed).toContain('method is GET')
    expect(explain(rule, req({ method: 'POST' })).matched).toBe(true)
  })

  it('describes what each matcher reads', () => {
    expect(explain('ClientIP(`192.168.0.0/16`)', req()).failed[0]!.observed).toBe('client IP is 10.0.0.1')
    expect(explain('Query(`page`, `2`)', req({ query: 'page=1&page=3' })).failed[0]!.observed).toBe('query page is "1", "3"')
    expect(explain('HostRegexp(`^api\\.`)', req({ host: '' })).failed[0]!.observed).toBe('the request has no host')
    expect(explain('Header(`X-A`, `1`)', req({ headers: { 'x-a': '2' } })).failed[0]!.observed).toBe('header X-A is "2"')
  })

  it('agrees with the compiled predicate on every rule and request tried', () => {
    const rules = [
      'Host(`a.example`) && (Path(`/x`) || PathPrefix(`/api`))',
      '!Host(`a.example`) || Method(`PUT`)',
      'HostRegexp(`^[a-z]\\.example$`) && !QueryRegexp(`q`, `^\\d+$`)',
      'ClientIP(`10.0.0.0/8`) && Header(`X-A`, `1`)',
    ]
    const requests = [
      req(),
      req({ path: '/x' }),
      req({ path: '/api/v' }),
      req({ host: 'b.example', method: 'PUT' }),
      req({ query: 'q=12' }),
      req({ query: 'q=ab' }),
      req({ headers: { 'x-a': '1' } }),
      req({ clientIp: '192.168.1.1' }),
    ]
    for (const rule of rules) {
      const predicate = compileMatcher(parseRule(rule))
      for (const r of requests) {
        const e = explain(rule, r)
        expect(e.matched, `${rule} on ${r.host}${r.path}`).toBe(predicate(r))
        expect(e.failed.length > 0).toBe(!e.matched)
      }
    }
  })
})
