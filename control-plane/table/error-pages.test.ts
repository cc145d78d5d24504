/**
 * errors middlewares in the edge table: the page service is checked when the table is built
 * (located diagnostic when it is missing, belongs to another provider or is not served), and it
 * travels with the middleware into the host part of the split table even when no router uses it.
 */
import { describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { splitTableByHost } from '../../shared/table/split.ts'
import { buildEdgeTable } from './build-edge-table.ts'
import { formatEdgeDiagnostic } from './diagnostics.ts'

const lb = (url: string) => ({ loadBalancer: { servers: [{ url }], passHostHeader: true } })

function build(service: string): { problems: string[]; hostPart: string[] } {
  const config: DynamicConfig = {
    http: {
      routers: { shop: { rule: 'Host(`shop.example`)', service: 'app', middlewares: ['pages'] } },
      middlewares: { pages: { errors: { status: ['500-599'], service, query: '/{status}.html' } } },
      services: {
        app: lb('http://10.0.0.1'),
        pageSvc: lb('http://10.0.0.2'),
        broken: { loadBalancer: { servers: [{ url: '::nope' }], passHostHeader: true } },
      },
    },
  }
  const built = buildEdgeTable(config, { target: 'workerd' })
  return {
    problems: built.diagnostics.map(formatEdgeDiagnostic),
    hostPart: Object.keys(splitTableByHost(built.table).hosts['shop.example']?.services ?? {}).sort(),
  }
}

describe('errors page service in the table', () => {
  it('travels with the middleware into the host part', () => {
    const { problems, hostPart } = build('pageSvc@kubernetescrd')
    expect(problems.filter((p) => p.startsWith('middleware'))).toEqual([])
    expect(hostPart).toEqual(['app', 'pageSvc'])
  })

  it('is reported, located, when it cannot be served', () => {
    expect(build('nope').problems).toContain(
      'middleware pages: errors.service: the service "nope@kubernetescrd" does not exist: the routes using it answer 500',
    )
    expect(build('pages@file').problems).toContain(
      'middleware pages: errors.service: the service "pages@file" does not exist (the edge has no "file" provider: only kubernetescrd and internal): the routes using it answer 500',
    )
    // The service's own errors, as Traefik tells whoever uses a service that failed.
    expect(build('broken').problems).toContain(
      'middleware pages: errors.service: error parsing server URL ::nope: not an absolute URL: the routes using it answer 500',
    )
  })
})
