// The local KV sink writes where `wrangler dev` reads: a table published through
// openWranglerLocalKv (wrangler's getPlatformProxy) is served by a real `wrangler dev` of a worker
// using the table source, from the same --persist-to directory.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWranglerLocalKv } from '../../control-plane/kv/wrangler-local-store.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { loadOrCreateDevSigningKey } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/local-edge.ts'
import { send } from '../support/http.ts'
import { startWranglerDev, type WranglerDev } from '../support/wrangler-dev.ts'
import { PROBE_SCHEMA } from '../support/fixtures/probe-schema.ts'

describe('wrangler local store', () => {
  let dir: string | undefined
  let wrangler: WranglerDev | undefined

  afterAll(async () => {
    await wrangler?.stop()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('is the store `wrangler dev` reads', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wrangler-store-'))
    const persistTo = join(dir, 'state')
    const config = join(dir, 'wrangler.toml')
    await writeFile(
      config,
      [
        'name = "probe"',
        `main = ${JSON.stringify(join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts'))}`,
        'compatibility_date = "2026-11-17"',
        '[[kv_namespaces]]',
        'binding = "ROUTES"',
        'id = "traefik-edge-routes"',
      ].join('\n'),
    )
    const signer = await loadOrCreateDevSigningKey(join(dir, 'key.jwk.json'))
    const store = await openWranglerLocalKv({ configPath: join(REPO_ROOT, 'wrangler.toml'), persistTo })
    try {
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
      await pub.publish({ schema: PROBE_SCHEMA, routes: { rest: { r: 1 }, hosts: { 'a.example': { a: 1 } } }, endpoints: { e: 1 } })
    } finally {
      await store.close()
    }

    wrangler = await startWranglerDev(['--config', config, '--persist-to', persistTo, '--var', `TABLE_JWKS:${JSON.stringify(signer.jwks)}`], { cwd: dir })
    const url = wrangler.url
    const res = await send(url, { headers: { host: 'a.example' } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ host: 'a.example', parts: [{ r: 1 }, { a: 1 }], endpoints: { e: 1, services: {} } })
  }, 90_000)
})
