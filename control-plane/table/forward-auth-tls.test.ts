/**
 * forwardAuth tls.ca in the edge table: the self-hosted workerd's default outbound is told to
 * trust it, Cloudflare cannot (a located diagnostic, the route answers 501).
 */
import { describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeTable } from './build-edge-table.ts'
import { formatEdgeDiagnostic } from './diagnostics.ts'
import { outboundCAs } from './index.ts'

const config: DynamicConfig = {
  http: {
    routers: { r: { rule: 'Host(`a.example`)', service: 'app', middlewares: ['auth', 'plain'] } },
    middlewares: {
      auth: { forwardAuth: { address: 'https://auth.internal/check', tls: { ca: 'AUTH-CA' } } },
      plain: { forwardAuth: { address: 'https://auth.example/check' } },
    },
    services: { app: { loadBalancer: { servers: [{ url: 'http://10.0.0.1' }], passHostHeader: true } } },
  },
}

describe('forwardAuth tls.ca', () => {
  it('is trusted by a self-hosted workerd, with no diagnostic', () => {
    const built = buildEdgeTable(config, { target: 'workerd' })
    expect(built.diagnostics.filter((d) => d.kind === 'middleware')).toEqual([])
    expect(outboundCAs(built.table)).toEqual(['AUTH-CA'])
  })

  it('is reported for Cloudflare, located', () => {
    const built = buildEdgeTable(config, { target: 'cloudflare' })
    expect(built.diagnostics.map(formatEdgeDiagnostic)).toContain(
      "middleware auth: tls.ca: forwardAuth.tls.ca: Cloudflare's fetch() trusts public CAs only (give the auth server a publicly trusted certificate): the routes using it answer 501",
    )
  })
})
