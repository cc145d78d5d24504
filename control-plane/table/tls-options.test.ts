import { describe, expect, it } from 'vitest'
import type { DynamicConfig, Router } from '../../shared/dynamic/types.ts'
import { mergeTableParts, splitTableByHost } from '../../shared/table/split.ts'
import { buildEdgeTable } from './build-edge-table.ts'
import { formatEdgeDiagnostic } from './diagnostics.ts'

const svc = { loadBalancer: { servers: [{ url: 'http://10.0.0.1:80' }], passHostHeader: true } }

function build(routers: Record<string, Router>, entryPoints?: string[]) {
  const config: DynamicConfig = {
    http: { routers, services: { s: svc } },
    tls: {
      options: {
        default: { minVersion: 'VersionTLS12' },
        'default-mtls': { minVersion: 'VersionTLS13', clientAuth: { clientAuthType: 'RequireAndVerifyClientCert' } },
        'default-old': { minVersion: 'VersionTLS10' },
      },
    },
  }
  const built = buildEdgeTable(config, { target: 'workerd', ...(entryPoints ? { entryPoints } : {}) })
  return { ...built, lines: built.diagnostics.map(formatEdgeDiagnostic) }
}

describe("TLS options: Traefik's conflict rule and the SNI-check host map", () => {
  it('a host served with two different options puts both routers in conflict; copies serve it with default options', () => {
    const { table, lines } = build({
      a: { rule: 'Host(`x.example`)', service: 's', entryPoints: ['websecure'], tls: { options: 'default-mtls' } },
      b: { rule: 'Host(`x.example`) && Path(`/b`)', service: 's', entryPoints: ['websecure'], tls: { options: 'default-old@kubernetescrd' } },
    })
    expect(Object.keys(table.routers).sort()).toEqual(['websecure-conflicted-a', 'websecure-conflicted-b'])
    expect(table.routers['websecure-conflicted-a']).toMatchObject({ entryPoints: ['websecure'], tls: true })
    expect(table.routers['websecure-conflicted-a']!.tlsOptions).toBeUndefined()
    expect(lines).toContain(
      "router a: tls.options: host x.example is served with different TLS options (default-mtls, default-old) on entry point websecure: served there with the default TLS options instead (Traefik's conflict rule)",
    )
    expect(table.tls!.hosts).toEqual({})
  })

  it('a router with non-default options and no Host in its rule is in conflict', () => {
    const { table, lines } = build({ a: { rule: 'PathPrefix(`/`)', service: 's', entryPoints: ['websecure'], tls: { options: 'default-mtls' } } })
    expect(Object.keys(table.routers)).toEqual(['websecure-conflicted-a'])
    expect(lines[0]).toMatch(/^router a: tls.options: TLS options default-mtls on a rule without Host on entry point websecure/)
  })

  it('keeps a router on the entry points where it is not in conflict', () => {
    const { table } = build({
      a: { rule: 'Host(`x.example`)', service: 's', entryPoints: ['websecure', 'internal'], tls: { options: 'default-mtls' } },
      b: { rule: 'Host(`x.example`)', service: 's', entryPoints: ['websecure'], tls: {} },
    })
    expect(table.routers['a']).toMatchObject({ entryPoints: ['internal'], tlsOptions: 'default-mtls' })
    expect(table.routers['websecure-conflicted-a']).toMatchObject({ entryPoints: ['websecure'] })
    expect(table.routers['websecure-conflicted-b']).toMatchObject({ entryPoints: ['websecure'] })
    expect(table.tls!.hosts).toEqual({ internal: { 'x.example': 'default-mtls' } })
  })

  it('routers without entry points are checked on every entry point the edge serves', () => {
    const { table } = build(
      {
        a: { rule: 'Host(`x.example`)', service: 's', tls: { options: 'default-mtls' } },
        b: { rule: 'Host(`x.example`)', service: 's', entryPoints: ['websecure'], tls: {} },
      },
      ['web', 'websecure'],
    )
    expect(table.routers['a']).toMatchObject({ entryPoints: ['web'], tlsOptions: 'default-mtls' })
    expect(Object.keys(table.routers).sort()).toEqual(['a', 'websecure-conflicted-a', 'websecure-conflicted-b'])
  })

  it('lists hosts on non-default options per entry point, and every option they use', () => {
    const { table, diagnostics } = build({
      a: { rule: 'Host(`Secure.example`) || Host(`b.example`)', service: 's', entryPoints: ['websecure'], tls: { options: 'default-mtls' } },
      c: { rule: 'Host(`plain.example`)', service: 's', entryPoints: ['websecure'], tls: {} },
    })
    expect(diagnostics).toEqual([])
    expect(table.routers['a']!.tlsOptions).toBe('default-mtls')
    expect(table.tls).toEqual({
      options: {
        default: { minVersion: 'VersionTLS12' },
        'default-mtls': { minVersion: 'VersionTLS13', clientAuthType: 'RequireAndVerifyClientCert' },
      },
      hosts: { websecure: { 'secure.example': 'default-mtls', 'b.example': 'default-mtls' } },
    })
  })

  it('a certResolver is reported: the edge runs no ACME', () => {
    const { table, lines } = build({ a: { rule: 'Host(`x.example`)', service: 's', tls: { certResolver: 'le' } } })
    expect(Object.keys(table.routers)).toEqual(['a'])
    expect(lines).toEqual([
      'router a: tls.certResolver: certificate resolver "le" is not run by the edge (no ACME): on Cloudflare the zone\'s edge certificates or uploaded Secrets serve these hosts; self-hosted serves the TLSStore default certificate',
    ])
  })

  it('a router naming TLS options that do not exist is not served', () => {
    const { table, lines } = build({ a: { rule: 'Host(`x.example`)', service: 's', tls: { options: 'default-unknown' } } })
    expect(table.routers).toEqual({})
    expect(lines).toEqual(['router a: tls.options: building router handler: unknown TLS options: default-unknown@kubernetescrd'])
  })

  it('plain routers leave the table without a TLS section; split keeps it in rest, merge restores it', () => {
    expect(build({ a: { rule: 'Host(`x.example`)', service: 's' } }).table.tls).toBeUndefined()
    const { table } = build({ a: { rule: 'Host(`x.example`)', service: 's', entryPoints: ['websecure'], tls: { options: 'default-mtls' } } })
    const split = splitTableByHost(table)
    expect(split.rest.tls).toEqual(table.tls)
    expect(split.hosts['x.example']!.tls).toBeUndefined()
    expect(mergeTableParts([split.rest, split.hosts['x.example']!]).tls).toEqual(table.tls)
  })
})
