/**
 * Traefik's pkg/ip test tables (test/traefik/conformance/middlewares.json, `ipChecker` and
 * `ipStrategy` cases) run against the edge's checker and strategies.
 */
import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../test/support/traefik-data.ts'
import { hostOfHostPort } from './address.ts'
import { Checker } from './checker.ts'
import { ipStrategy, remoteAddrStrategy } from './strategy.ts'

interface Case {
  middleware: string
  config: Record<string, unknown>
  request: { ip?: string; headers?: Record<string, string>; remoteAddr?: string }
  expect: { contains?: boolean; error?: boolean; clientIP?: string }
  source: string
}

const all = conformanceCases<Case[]>('middlewares.json')
const checkerCases = all.filter((c) => c.middleware === 'ipChecker')
const strategyCases = all.filter((c) => c.middleware === 'ipStrategy')

describe('ipChecker cases', () => {
  it('are all there', () => expect(checkerCases.length).toBe(87))
  for (const c of checkerCases) {
    it(`${c.source}: ${JSON.stringify(c.request.ip)} in ${c.config.sourceRange}`, () => {
      const checker = new Checker(c.config.sourceRange as string[])
      if (c.expect.error) expect(() => checker.contains(c.request.ip!)).toThrow()
      else expect(checker.contains(c.request.ip!)).toBe(c.expect.contains)
    })
  }
})

describe('ipStrategy cases', () => {
  it('are all there', () => expect(strategyCases.length).toBe(17))
  for (const c of strategyCases) {
    it(`${c.source}`, () => {
      // httptest's default RemoteAddr; Go keeps an address without port as it is.
      const remote = c.request.remoteAddr ?? '192.0.2.1:1234'
      const host = hostOfHostPort(remote)
      const subnet = c.config.ipv6Subnet as number | undefined
      // The invalid-subnet case drives RemoteAddrStrategy itself; IPStrategy.Get refuses that value.
      const strategy = host === null ? ipStrategy({}) : subnet !== undefined && subnet > 128 ? remoteAddrStrategy(subnet) : ipStrategy(c.config)
      expect(strategy({ clientIp: host ?? remote, headers: new Headers(c.request.headers ?? {}) })).toBe(c.expect.clientIP)
    })
  }
})

describe('ipStrategy configuration', () => {
  it('refuses an ipv6Subnet outside 1..128, naming the field', () => {
    expect(() => ipStrategy({ ipv6Subnet: 129 })).toThrow(/ipStrategy.ipv6Subnet/)
    expect(() => ipStrategy({ depth: 1, ipv6Subnet: 0 })).toThrow(/ipStrategy.ipv6Subnet/)
    expect(() => ipStrategy({ excludedIPs: ['nope'] })).toThrow(/ipStrategy.excludedIPs/)
  })

  it('masks an IPv6 client address to its subnet and leaves IPv4 alone', () => {
    const s = ipStrategy({ ipv6Subnet: 64 })
    expect(s({ clientIp: '2001:db8:1:2:3:4:5:6', headers: new Headers() })).toBe('2001:db8:1:2::')
    expect(s({ clientIp: '10.1.2.3', headers: new Headers() })).toBe('10.1.2.3')
  })

  it('depth wins over excludedIPs', () => {
    const s = ipStrategy({ depth: 1, excludedIPs: ['10.0.0.1'] })
    expect(s({ clientIp: '1.1.1.1', headers: new Headers({ 'x-forwarded-for': '10.0.0.2, 10.0.0.1' }) })).toBe('10.0.0.1')
  })
})
