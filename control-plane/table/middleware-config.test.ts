/**
 * A middleware configuration the edge would refuse to build is found when the table is built:
 * the router (or service) answers 500 and the diagnostic names the middleware, field and cause.
 */
import { describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeTable, formatEdgeDiagnostic } from './index.ts'
import { middlewareConfigError } from '../../shared/middlewares/config-error.ts'

const lb = { loadBalancer: { servers: [{ url: 'http://h:80' }], passHostHeader: true } }

describe('middleware configurations the edge refuses', () => {
  it('names the field and the cause', () => {
    expect(middlewareConfigError('ipAllowList', { sourceRange: ['10.0.0.0/8', 'nope'] })).toMatch(/ipAllowList.sourceRange: .*"nope"/)
    expect(middlewareConfigError('ipAllowList', { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 999 })).toMatch(/rejectStatusCode/)
    expect(middlewareConfigError('basicAuth', { users: ['alice'] })).toMatch(/basicAuth.users\[0\]/)
    expect(middlewareConfigError('digestAuth', { users: ['alice:hash'] })).toMatch(/digestAuth.users\[0\]/)
    expect(middlewareConfigError('headers', { accessControlAllowOriginListRegex: ['a(b'] })).toMatch(/accessControlAllowOriginListRegex\[0\]/)
    expect(middlewareConfigError('headers', { frameDeny: true })).toBeNull()
    // Sealed users are checked by the edge when it opens them; usersFile is reported as unsupported.
    expect(middlewareConfigError('basicAuth', { sealed: 'x' })).toBeNull()
    expect(middlewareConfigError('basicAuth', { usersFile: '/f' })).toBeNull()
  })

  it('makes the router answer 500, with a located diagnostic', () => {
    const config: DynamicConfig = {
      http: {
        routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['allow'] } },
        middlewares: { allow: { ipAllowList: { sourceRange: ['10.0.0.300'] } } },
        services: { s: lb },
      },
    }
    const { table, diagnostics } = buildEdgeTable(config, { target: 'workerd' })
    expect(table.routers.r!.error?.status).toBe(500)
    expect(diagnostics.map(formatEdgeDiagnostic).find((l) => l.startsWith('router r:'))).toMatch(
      /^router r: middlewares: middlewares whose configuration the edge refuses: allow \(ipAllowList.sourceRange: .*10\.0\.0\.300.*\); the route answers 500$/,
    )
  })
})
