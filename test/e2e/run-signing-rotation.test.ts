// Rotating the table signing key without downtime, on the real workerd runtime: an edge whose
// TABLE_JWKS holds {old, new} serves tables signed by either; the control plane switches keys and
// the edge follows; an edge given {new} alone (the old key removed) refuses what the old key signs
// and keeps serving the last good table.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main as signingKeyCli } from '../../control-plane/cli/signing-key.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { loadSigningKey } from '../../control-plane/publish/signing-key.ts'
import { POINTER_KEY } from '../../shared/kv/layout.ts'
import { buildEdgeInput, startEdge, type TestEdge } from '../support/edge.ts'
import { eventually } from '../support/eventually.ts'
import { ingressRouteYaml, serviceYaml } from '../support/manifests.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

async function cli(...argv: string[]): Promise<string> {
  let out = ''
  const code = await signingKeyCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (out += t) })
  if (code !== 0) throw new Error(`signing-key ${argv.join(' ')}: ${out}`)
  return out.trim()
}

describe('signing key rotation', () => {
  let dir: string
  const ups: Upstream[] = []
  const edges: TestEdge[] = []
  const store = createMemoryKvStore()

  const table = (i: number) =>
    buildEdgeInput({
      yaml:
        serviceYaml({ name: 'svc', addresses: [ups[i]!.host], port: ups[i]!.port }) +
        '---\n' +
        ingressRouteYaml({ name: 'r', match: 'Host(`a.example`)', service: 'svc' }),
    }).table
  const servedBy = async (edge: TestEdge) => {
    const res = await edge.request('/', { headers: { host: 'a.example' } })
    return res.status === 200 ? (JSON.parse(res.body) as { server: string }).server : `status ${res.status}`
  }
  const publisherWith = async (file: string) => TablePublisher.open({ store, signer: await loadSigningKey(file), pointerMinIntervalMs: 0 })

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rotation-'))
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4'].entries()) ups.push(await startUpstream({ host, name: `up${i}` }))
  })
  afterAll(async () => {
    for (const e of edges) await e.stop()
    for (const u of ups) await u.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('publishes the next key first, switches, then drops the old one', async () => {
    const oldKey = join(dir, 'old.jwk.json')
    const newKey = join(dir, 'new.jwk.json')
    expect(await cli('generate', '--out', oldKey, '--kid', 'table-1')).toBe('table-1')
    expect(await cli('generate', '--out', newKey, '--kid', 'table-2')).toBe('table-2')

    // Step 1: the edge trusts both keys while the control plane still signs with the old one.
    const both = await startEdge({ store, vars: { TABLE_JWKS: await cli('jwks', oldKey, newKey) } })
    edges.push(both)
    await (await publisherWith(oldKey)).publish(table(0))
    await eventually(async () => expect(await servedBy(both)).toBe('up0'), { what: 'old-key table served' })

    // Step 2: the control plane switches to the new key (a restart with another --signing-key).
    // Its first publish re-signs the pointer even though the table did not change.
    const switched = await publisherWith(newKey)
    expect((await switched.publish(table(0))).changed).toBe(true)
    const header = JSON.parse(Buffer.from(store.data.get(POINTER_KEY)!.split('.')[0]!, 'base64url').toString())
    expect(header.kid).toBe('table-2')
    expect((await switched.publish(table(0))).changed).toBe(false)
    await switched.publish(table(1))
    await eventually(async () => expect(await servedBy(both)).toBe('up1'), { what: 'new-key table served' })

    // Step 3: the old key is dropped from the edge; it serves what the new key signed.
    const onlyNew = await startEdge({ store, vars: { TABLE_JWKS: await cli('jwks', newKey) } })
    edges.push(onlyNew)
    await eventually(async () => expect(await servedBy(onlyNew)).toBe('up1'), { what: 'new-key table served by the new-only edge' })

    // A pointer the old key signs now (leaked key, stale replica) is refused there; the edge
    // that still lists the old key takes it, which is why the old key must go once switched.
    await (await publisherWith(oldKey)).publish(table(2))
    await eventually(async () => expect(await servedBy(both)).toBe('up2'), { what: 'old-key table on the two-key edge' })
    for (let i = 0; i < 4; i++) {
      expect(await servedBy(onlyNew)).toBe('up1')
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(onlyNew.logs.join('\n')).toMatch(/pointer signature refused/)
  })
})
