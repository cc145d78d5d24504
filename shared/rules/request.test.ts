import { describe, expect, it } from 'vitest'
import { cidrContains, parseCidr } from './ip.ts'
import { BadPathError, canonicalHost, requestToMatchRequest, routingPath } from './request.ts'

describe('routingPath', () => {
  it('decodes all but the reserved escapes (upper-case only)', () => {
    expect(routingPath('/foo%20bar')).toBe('/foo bar')
    expect(routingPath('/a%2Fb')).toBe('/a%2Fb')
    expect(routingPath('/a%2fb')).toBe('/a/b')
    expect(routingPath('/%C3%A9%25')).toBe('/é%25')
    expect(() => routingPath('/a%')).toThrow(BadPathError)
  })
})

describe('canonicalHost', () => {
  it('lower-cases and drops the port and IPv6 brackets', () => {
    expect(canonicalHost('Example.COM:8080')).toBe('example.com')
    expect(canonicalHost('[10::10]:80')).toBe('10::10')
    expect(canonicalHost('[10::10]')).toBe('10::10')
  })
})

describe('requestToMatchRequest', () => {
  it('reads host, method, routing path, query and headers', () => {
    const r = requestToMatchRequest(new Request('http://A.b:81/x%7By%7D?q&k=v', { method: 'POST', headers: { 'X-A': '1' } }), '10.0.0.1')
    expect([r.host, r.method, r.path, r.query.getAll('q'), r.headers.get('x-a')]).toEqual(['a.b', 'POST', '/x{y}', [''], '1'])
  })
})

describe('ClientIP CIDRs', () => {
  const has = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, ip)
  it('matches v4, v6 and v4-mapped addresses', () => {
    expect(has('192.168.1.0/24', '192.168.1.200')).toBe(true)
    expect(has('192.168.1.0/24', '192.168.2.1')).toBe(false)
    expect(has('2001:db8::/32', '2001:db8:1::5')).toBe(true)
    expect(has('2001:db8::/32', '2001:db9::5')).toBe(false)
    expect(has('::1', '::1')).toBe(true)
    expect(has('10.0.0.1', '::ffff:10.0.0.1')).toBe(true)
    expect(has('10.0.0.0/8', '1')).toBe(false)
  })
  it('rejects invalid addresses and prefixes', () => {
    for (const c of ['1', '10.0.0.256', '10.0.0.0/33', '::1/129', '1::2::3', 'a.b.c.d']) {
      expect(parseCidr(c), c).toBeUndefined()
    }
  })
})
