import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { kvOnlyConfig } from './wrangler-local-store.ts'

const WRANGLER_TOML = join(import.meta.dirname, '../../wrangler.toml')

describe('the local store proxy configuration', () => {
  it('is the shipped wrangler.toml reduced to its ROUTES namespace: no Durable Objects, no VPC binding to warn about', () => {
    const config = kvOnlyConfig(WRANGLER_TOML, 'ROUTES')
    expect(Object.keys(config).sort()).toEqual(['compatibility_date', 'kv_namespaces', 'name'])
    expect(config).toMatchObject({ name: 'traefik-edge', kv_namespaces: [{ binding: 'ROUTES', id: expect.any(String) }] })
    expect(() => kvOnlyConfig(WRANGLER_TOML, 'NOPE')).toThrow(/no KV namespace bound as NOPE/)
  })
})
