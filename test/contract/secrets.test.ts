/**
 * Sealing table secrets: what the control plane stores opens only with the edge's key, is the
 * same for the same users (content addressing holds), and is withheld without a key.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { unseal } from '../../edge-worker/src/secrets/unseal.ts'
import { loadOrCreateDevSecretsKey, sealTableSecrets } from '../../control-plane/publish/seal-secrets.ts'

const dir = await mkdtemp(join(tmpdir(), 'secrets-'))
afterAll(() => rm(dir, { recursive: true, force: true }))

const users = ['alice:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/']
const part = (mws: Record<string, unknown>) => ({ schema: 'edge-table/1', routers: {}, middlewares: mws, services: {}, transports: {} })
const input = () => ({
  schema: 'edge-table/1',
  routes: {
    rest: part({
      auth: { type: 'basicAuth', config: { users, realm: 'shop', headerField: 'X-User' } },
      strip: { type: 'stripPrefix', config: { prefixes: ['/a'] } },
    }),
    hosts: { 'a.example': part({ auth: { type: 'basicAuth', config: { users, realm: 'shop', headerField: 'X-User' } } }) },
  },
  endpoints: {},
})

describe('sealTableSecrets', () => {
  it('replaces users by a JWE the edge key opens, leaving the rest and the input as they were', async () => {
    const key = await loadOrCreateDevSecretsKey(join(dir, 'k1.json'))
    const original = input()
    const sealed = await sealTableSecrets(original, key.sealer)
    expect(JSON.stringify(sealed)).not.toContain('alice')
    expect(original.routes.rest.middlewares.auth).toEqual({ type: 'basicAuth', config: { users, realm: 'shop', headerField: 'X-User' } })
    const auth = (sealed.routes.rest.middlewares as Record<string, { config: Record<string, unknown> }>).auth!.config
    expect(Object.keys(auth).sort()).toEqual(['headerField', 'realm', 'sealed'])
    expect(sealed.routes.rest.middlewares.strip).toBe(original.routes.rest.middlewares.strip)
    const opened = await unseal('basicAuth', auth as { sealed: string }, { SECRETS_KEY: key.binding })
    expect(opened).toEqual({ users, realm: 'shop', headerField: 'X-User' })
    // The same users seal to the same value everywhere: parts and republishes pack identically.
    const host = (sealed.routes.hosts as Record<string, { middlewares: Record<string, { config: Record<string, unknown> }> }>)['a.example']!
    expect(host.middlewares.auth!.config.sealed).toBe(auth.sealed)
    expect(JSON.stringify(await sealTableSecrets(input(), key.sealer))).toBe(JSON.stringify(sealed))
  })

  it('seals what the edge refuses but that holds secrets: forwardAuth TLS, rateLimit Redis', async () => {
    const key = await loadOrCreateDevSecretsKey(join(dir, 'k5.json'))
    const table = {
      schema: 1,
      routes: {
        rest: part({
          fa: { type: 'forwardAuth', config: { address: 'https://auth', tls: { key: '-----BEGIN PRIVATE KEY-----x' } } },
          rl: { type: 'rateLimit', config: { average: 1, redis: { password: 'pa55' } } },
        }),
        hosts: {},
      },
      endpoints: {},
    }
    const text = JSON.stringify(await sealTableSecrets(table, key.sealer))
    expect(text).not.toContain('PRIVATE KEY')
    expect(text).not.toContain('pa55')
    expect(text).toContain('"address":"https://auth"')
  })

  it('keeps the key pair in a 0600 file and reuses it', async () => {
    const a = await loadOrCreateDevSecretsKey(join(dir, 'k2.json'))
    const b = await loadOrCreateDevSecretsKey(join(dir, 'k2.json'))
    expect(b.binding).toBe(a.binding)
    expect((await stat(join(dir, 'k2.json'))).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(join(dir, 'k2.json'), 'utf8')).d).toBeTruthy()
  })

  it('refuses to open with another key or with no key, saying why', async () => {
    const a = await loadOrCreateDevSecretsKey(join(dir, 'k3.json'))
    const b = await loadOrCreateDevSecretsKey(join(dir, 'k4.json'))
    const sealed = await sealTableSecrets(input(), a.sealer)
    const auth = (sealed.routes.rest.middlewares as Record<string, { config: Record<string, unknown> }>).auth!.config as { sealed: string }
    await expect(unseal('basicAuth', auth, { SECRETS_KEY: b.binding })).rejects.toThrow(/cannot be opened: no key/)
    await expect(unseal('basicAuth', auth, {})).rejects.toThrow(/no SECRETS_KEY binding/)
    await expect(unseal('basicAuth', { ...auth, sealed: auth.sealed.slice(0, -4) + 'AAAA' }, { SECRETS_KEY: a.binding })).rejects.toThrow(/cannot be opened/)
  })

  it('withholds the users when there is no key, and touches tables of other shapes not at all', async () => {
    const withheld = await sealTableSecrets(input(), null)
    expect(JSON.stringify(withheld)).not.toContain('alice')
    const auth = (withheld.routes.rest.middlewares as Record<string, { config: Record<string, unknown> }>).auth!.config
    expect(auth.sealed).toBeNull()
    await expect(unseal('basicAuth', auth as { sealed: null }, {})).rejects.toThrow(/withheld/)
    const probe = { schema: 1, routes: { rest: { r: 1 }, hosts: { 'a.example': { a: 1 } } }, endpoints: {} }
    expect(await sealTableSecrets(probe, null)).toEqual(probe)
  })
})
