// The self-hosted files run as they are under `workerd serve`, reading tables the local key
// signed from the KV service they were pointed at.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { serveKvForWorkerd, type KvHttpServer } from '../../control-plane/kv/workerd-kv-server.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { loadOrCreateDevSigningKey } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { emitSelfHostedEdge } from '../../control-plane/runtime/self-hosted.ts'
import { startWorkerd, type WorkerdProcess } from '../../control-plane/runtime/workerd-process.ts'
import { send } from '../support/http.ts'
import { PROBE_SCHEMA } from '../support/fixtures/probe-schema.ts'

describe('self-hosted workerd files', () => {
  let dir: string | undefined
  let kv: KvHttpServer | undefined
  let workerd: WorkerdProcess | undefined
  afterAll(async () => {
    await workerd?.stop()
    await kv?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('serve the published table on the configured entry point', async () => {
    dir = await mkdtemp(join(tmpdir(), 'self-hosted-'))
    const store = createMemoryKvStore()
    kv = await serveKvForWorkerd(store)
    const config = await emitSelfHostedEdge({
      dir: join(dir, 'out'),
      stateDir: join(dir, 'state'),
      entryPoint: 'websecure',
      port: 0,
      kvAddress: kv.address,
      workerEntry: join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts'),
    })
    const signer = await loadOrCreateDevSigningKey(join(dir, 'state', 'signing-key.jwk.json'))
    const publisher = await TablePublisher.open({ store, signer })
    await publisher.publish({ schema: PROBE_SCHEMA, routes: { rest: { r: 1 }, hosts: {} }, endpoints: {} })
    workerd = await startWorkerd({ configPath: config, sockets: ['websecure'], log: () => {} })
    const res = await send(`http://127.0.0.1:${workerd.ports.get('websecure')}/`, { headers: { host: 'x.test' } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ host: 'x.test', parts: [{ r: 1 }], endpoints: {} })
  })
})
