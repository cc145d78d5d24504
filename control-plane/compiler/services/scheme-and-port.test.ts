import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../../test/support/traefik-data.ts'
import type { Service } from '../snapshot/kube-types.ts'
import { joinHostPort, serviceScheme } from './scheme.ts'
import { selectServicePort } from './service-port.ts'

interface Units {
  parseServiceProtocol: Array<{
    desc: string
    scheme: string
    portName: string
    portNumber: number
    expected?: string
    expectedError?: boolean
  }>
  getServicePort: {
    cases: Array<{
      desc: string
      service: { type: string; ports: Array<{ name?: string; port?: number }> } | null
      port: number | string | null
      expected?: { name?: string; port: number }
      expectedError?: boolean
    }>
  }
}

const units = conformanceCases<Units>('provider-unit-cases.json')

describe('serviceScheme (Traefik parseServiceProtocol table)', () => {
  for (const c of units.parseServiceProtocol) {
    it(c.desc, () => {
      if (c.expectedError) {
        expect(() => serviceScheme(c.scheme, c.portName, c.portNumber)).toThrow(/invalid scheme/)
      } else {
        expect(serviceScheme(c.scheme, c.portName, c.portNumber)).toBe(c.expected)
      }
    })
  }
})

describe('selectServicePort (Traefik getServicePort table)', () => {
  for (const c of units.getServicePort.cases) {
    it(c.desc, () => {
      const service: Service | undefined = c.service === null ? undefined : { kind: 'Service', spec: { type: c.service.type, ports: c.service.ports } }
      const port = c.port ?? undefined
      if (c.expectedError) {
        expect(() => selectServicePort(service, port)).toThrow()
      } else {
        expect(selectServicePort(service, port)).toEqual(c.expected)
      }
    })
  }

  it('reports an ExternalName port mismatch as a warning', () => {
    const warnings: string[] = []
    const svc: Service = { spec: { type: 'ExternalName', ports: [{ port: 80 }] } }
    expect(selectServicePort(svc, 443, (m) => warnings.push(m))).toEqual({ port: 443 })
    expect(warnings).toHaveLength(1)
  })
})

describe('joinHostPort', () => {
  it('brackets IPv6 hosts only', () => {
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80')
    expect(joinHostPort('2001:db8::1', 8080)).toBe('[2001:db8::1]:8080')
    expect(joinHostPort('example.com', 443)).toBe('example.com:443')
  })
})
