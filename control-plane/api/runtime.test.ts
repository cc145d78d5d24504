// Traefik's runtime view of a build (./runtime.ts) beyond what Traefik's API and integration tests
// cover (shared/api/traefik-api.test.ts, test/e2e/api-traefik-integration.test.ts): entry points,
// TLS conflict copies, chains, failed services told to their routers, health.
import { describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeTable } from '../table/index.ts'
import { runtimeConfiguration } from './runtime.ts'

const lb = (url: string) => ({ loadBalancer: { servers: [{ url }], passHostHeader: true } })

function runtime(config: DynamicConfig, entryPoints = ['web']) {
  const built = buildEdgeTable(config, { target: 'workerd', entryPoints })
  return runtimeConfiguration({ config, table: built.table, diagnostics: built.diagnostics, entryPoints, endpoints: built.endpoints })
}

describe("Traefik's runtime configuration of a build", () => {
  it("disables a router on no entry point the edge serves, with Traefik's errors, and leaves its priority and middlewares as given", () => {
    const rt = runtime({
      http: {
        routers: { r: { rule: 'Host(`a`)', service: 's', entryPoints: ['websecure'], middlewares: ['m'] } },
        services: { s: lb('http://h') },
        middlewares: { m: { addPrefix: { prefix: '/x' } } },
      },
    })
    expect(rt.routers!['r@kubernetescrd']).toMatchObject({
      status: 'disabled',
      error: ['entryPoint "websecure" doesn\'t exist', 'no valid entryPoint for this router'],
      middlewares: ['m'],
    })
    expect(rt.routers!['r@kubernetescrd']!.priority).toBeUndefined()
    expect(rt.routers!['r@kubernetescrd']!.using).toBeUndefined()
  })

  it('qualifies the chains a built router uses, and tells a router the errors of the service it uses', () => {
    const rt = runtime({
      http: {
        routers: { ok: { rule: 'Host(`a`)', service: 's', middlewares: ['outer'] }, bad: { rule: 'Host(`b`)', service: 'w' } },
        middlewares: { outer: { chain: { middlewares: ['inner'] } }, inner: { addPrefix: { prefix: '/x' } } },
        services: { s: lb('http://h'), w: { weighted: { services: [{ name: 'gone' }] } } },
      },
    })
    expect(rt.routers!['ok@kubernetescrd']).toMatchObject({ status: 'enabled', priority: 9, middlewares: ['outer@kubernetescrd'], using: ['web'] })
    expect(rt.middlewares!['outer@kubernetescrd']).toMatchObject({ chain: { middlewares: ['inner@kubernetescrd'] }, usedBy: ['ok@kubernetescrd'] })
    expect(rt.services!['w@kubernetescrd']).toMatchObject({ status: 'disabled', error: ['the service "gone@kubernetescrd" does not exist'] })
    expect(rt.routers!['bad@kubernetescrd']).toMatchObject({ status: 'disabled', error: ['the service "gone@kubernetescrd" does not exist'] })
    expect(rt.services!['s@kubernetescrd']!.serverStatus).toEqual({ 'http://h': 'UP' })
    expect(rt.services!['w@kubernetescrd']!.serverStatus).toBeUndefined()
  })

  it('lists the copy Traefik makes of a router in TLS conflict', () => {
    const rt = runtime({
      http: {
        routers: { a: { rule: 'Host(`x`)', service: 's', tls: { options: 'o' } }, b: { rule: 'Host(`x`) && Path(`/b`)', service: 's', tls: {} } },
        services: { s: lb('http://h') },
      },
      tls: { options: { o: { minVersion: 'VersionTLS12' } } },
    })
    expect(Object.keys(rt.routers!).sort()).toEqual(['web-conflicted-a@kubernetescrd', 'web-conflicted-b@kubernetescrd'])
  })

  it('builds a router kept on some entry points after a TLS conflict on another', () => {
    const rt = runtime(
      {
        http: {
          routers: {
            a: { rule: 'Host(`x`)', service: 's', tls: { options: 'o' }, entryPoints: ['web', 'websecure'], middlewares: ['m'] },
            b: { rule: 'Host(`x`)', service: 's', tls: {}, entryPoints: ['websecure'] },
          },
          services: { s: lb('http://h') },
          middlewares: { m: { addPrefix: { prefix: '/x' } } },
        },
        tls: { options: { o: { minVersion: 'VersionTLS12' } } },
      },
      ['web', 'websecure'],
    )
    expect(rt.routers!['a@kubernetescrd']).toMatchObject({ entryPoints: ['web'], using: ['web'], middlewares: ['m@kubernetescrd'], status: 'warning' })
    expect(rt.routers!['websecure-conflicted-a@kubernetescrd']).toMatchObject({ entryPoints: ['websecure'], status: 'enabled' })
    expect(rt.middlewares!['m@kubernetescrd']!.usedBy).toEqual(['a@kubernetescrd', 'websecure-conflicted-a@kubernetescrd'])
  })
})
