// The document the edge serves api@internal and dashboard@internal from (./edge-document.ts).
import { describe, expect, it } from 'vitest'
import type { InternalDocument } from '../../shared/api/document.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeTable } from '../table/index.ts'
import { attachInternalDocument } from './edge-document.ts'

describe('the document api@internal is served from', () => {
  const config: DynamicConfig = {
    http: {
      routers: { api: { rule: 'Host(`t`)', service: 'api@internal', middlewares: ['auth'] } },
      middlewares: { auth: { basicAuth: { users: ['admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'] } } },
    },
  }

  it('is named in the internal service by its digest, and holds no secret', () => {
    const built = buildEdgeTable(config, { target: 'workerd', entryPoints: ['web'] })
    const documents = attachInternalDocument({ config, built, entryPoints: ['web'], target: 'workerd' })!
    const [digest, text] = Object.entries(documents)[0]!
    expect(built.table.services['api@internal']).toEqual({ kind: 'internal', service: 'api', document: digest })
    expect(text).not.toContain('apr1')
    const doc = JSON.parse(text) as InternalDocument
    expect(doc.api.runtime.middlewares!['auth@kubernetescrd']).toMatchObject({ basicAuth: { users: ['(secret, not shown)'] } })
    expect(Object.keys(doc.dashboard!.files).sort()).toEqual(['/', '/app.js', '/style.css'])
  })

  it('is not published when too large: the build says so', () => {
    const built = buildEdgeTable(config, { target: 'workerd', entryPoints: ['web'] })
    expect(attachInternalDocument({ config, built, entryPoints: ['web'], target: 'workerd', maxBytes: 100 })).toBeUndefined()
    expect(built.table.services['api@internal']).toEqual({ kind: 'internal', service: 'api' })
    expect(built.diagnostics.at(-1)).toMatchObject({
      kind: 'service',
      name: 'api@internal',
      message: expect.stringMatching(/larger than Workers KV allows: the routes to it answer 503$/),
    })
  })

  it('is not written when no route uses the internal services', () => {
    const plain: DynamicConfig = { http: { routers: { r: { rule: 'Host(`a`)', service: 'noop@internal' } } } }
    expect(
      attachInternalDocument({ config: plain, built: buildEdgeTable(plain, { target: 'workerd' }), entryPoints: ['web'], target: 'workerd' }),
    ).toBeUndefined()
  })
})
