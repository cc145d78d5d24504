/**
 * Whoever can write the KV namespace but does not hold the signing key (issue 17, items 4 and 10),
 * against the real worker on workerd and the real publisher.
 *
 * 4. A replayed old table was refused by a warm isolate but served by a cold one: pointers never
 *    expired, and the replay check only compared with the table in memory. Pointers now carry an
 *    expiry the control plane keeps pushing forward; a cold isolate refuses an expired one, and
 *    TABLE_MIN_ISSUED_AT refuses anything issued before a moment the operator names.
 * 10. A cold edge that met a tampered blob answered 503 for good, even after the blob was
 *    repaired: a refused pointer was never looked at again. It is now retried, with backoff.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { BLOB_PREFIX, POINTER_KEY, parseManifest, type TableManifest } from '../../shared/kv/layout.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeInput, send, startUpstream, type Upstream } from '../support/index.ts'
import { eventually } from '../support/eventually.ts'

let one: Upstream
let two: Upstream
let stateDir: string
const running: LocalEdge[] = []
const logs: string[] = []

beforeAll(async () => {
  ;[one, two] = await Promise.all([startUpstream({ host: '127.0.0.2', name: 'one' }), startUpstream({ host: '127.0.0.3', name: 'two' })])
  stateDir = await mkdtemp(join(tmpdir(), 'edge-tampering-'))
})

afterAll(async () => {
  for (const e of running) await e.stop().catch(() => {})
  await Promise.all([one?.close(), two?.close()])
  if (stateDir) await rm(stateDir, { recursive: true, force: true })
})

function table(up: () => Upstream) {
  const config: DynamicConfig = {
    http: {
      routers: { app: { rule: 'Host(`a.example`)', service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: up().url }], passHostHeader: true } } },
    },
  }
  return buildEdgeInput({ config }).table
}

/** A cold isolate: a new workerd process over `store`, with the same signing key (same state dir). */
async function edgeOn(
  store: ReturnType<typeof createMemoryKvStore>,
  options: { vars?: Record<string, string>; pointerTtlMs?: number } = {},
): Promise<LocalEdge> {
  const edge = await startLocalEdge({
    store,
    stateDir,
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    // The test's clocks are this machine's: no skew to allow for.
    vars: { TABLE_CLOCK_SKEW_MS: '0', ...options.vars },
    ...(options.pointerTtlMs ? { pointerTtlMs: options.pointerTtlMs } : {}),
    log: (line) => logs.push(line),
  })
  running.push(edge)
  return edge
}

async function stop(edge: LocalEdge): Promise<void> {
  await edge.stop()
  running.splice(running.indexOf(edge), 1)
}

async function served(edge: LocalEdge): Promise<string | number> {
  const res = await send(`${edge.url()}/`, { headers: { host: 'a.example' } })
  return res.status === 200 ? (JSON.parse(res.body) as { server: string }).server : res.status
}

function manifestOf(pointer: string): TableManifest {
  const m = parseManifest(JSON.parse(Buffer.from(pointer.split('.')[1]!, 'base64url').toString('utf8')))
  if ('error' in m) throw new Error(m.error)
  return m
}

describe('a replayed old pointer', () => {
  it('is refused by a cold isolate once it has expired, and the control plane keeps the current one fresh', async () => {
    const store = createMemoryKvStore()
    const owner = await edgeOn(store, { pointerTtlMs: 1500 })
    await owner.publish(table(() => one))
    const old = store.data.get(POINTER_KEY)!
    await new Promise((r) => setTimeout(r, 5))
    await owner.publish(table(() => two))
    await eventually(async () => expect(await served(owner)).toBe('two'))
    // The control plane keeps running: long after the TTL, a cold isolate still loads the table.
    await new Promise((r) => setTimeout(r, 2500))
    const fresh = await edgeOn(store)
    expect(await served(fresh)).toBe('two')
    await stop(fresh)

    // The control plane stops; someone with write access to KV puts the old pointer back.
    await stop(owner)
    await store.put([[POINTER_KEY, old]])
    const cold = await edgeOn(store)
    const status = await served(cold)
    expect(status).toBe(503)
    expect(logs.join('\n')).toMatch(/expired/)
    // The control plane comes back and publishes what it has: the edge serves it.
    const back = await edgeOn(store, { pointerTtlMs: 1500 })
    await back.publish(table(() => two))
    await eventually(async () => expect(await served(cold)).toBe('two'), { timeoutMs: 5000 })
    await stop(back)
    await stop(cold)
    expect(manifestOf(old).expiresAt! - manifestOf(old).issuedAt).toBe(1500)
  })

  it('is refused, expired or not, when issued before TABLE_MIN_ISSUED_AT', async () => {
    const store = createMemoryKvStore()
    const owner = await edgeOn(store)
    await owner.publish(table(() => one))
    const old = store.data.get(POINTER_KEY)!
    await new Promise((r) => setTimeout(r, 5))
    const current = (await owner.publish(table(() => two))).manifest
    await stop(owner)
    await store.put([[POINTER_KEY, old]])
    // Within the pointer's lifetime a replay is only caught by a floor the operator sets.
    const floored = await edgeOn(store, { vars: { TABLE_MIN_ISSUED_AT: String(current.issuedAt) } })
    expect(await served(floored)).toBe(503)
    expect(logs.join('\n')).toMatch(/issued before TABLE_MIN_ISSUED_AT/)
    await stop(floored)
  })
})

describe('a refused table', () => {
  it('is looked at again, with backoff, and served once its blob is repaired', async () => {
    const store = createMemoryKvStore()
    const owner = await edgeOn(store)
    const { manifest } = await owner.publish(table(() => one))
    await stop(owner)
    const blob = BLOB_PREFIX + manifest.routes.buckets[0]
    const good = store.data.get(blob)!
    await store.put([[blob, `${good} `]])
    const cold = await edgeOn(store)
    expect(await served(cold)).toBe(503)
    expect(logs.join('\n')).toMatch(/tampered or truncated/)
    await store.put([[blob, good]])
    const repaired = Date.now()
    await eventually(async () => expect(await served(cold)).toBe('one'), { timeoutMs: 8000 })
    expect(Date.now() - repaired).toBeLessThan(5000)
    await stop(cold)
  })
})
