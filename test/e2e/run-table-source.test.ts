// The edge's table loader on the real workerd runtime: a probe worker serves whatever the table
// source loads for the request's host, from a KV store the real publisher writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompactSign, exportJWK, generateKeyPair, importJWK } from 'jose'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import { startLocalEdge, REPO_ROOT, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk, type TableSigner } from '../../control-plane/publish/signing-key.ts'
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'
import { BLOB_PREFIX, POINTER_KEY, POINTER_TYP, bucketOf, endpointsShardOf, sha256Hex } from '../../shared/kv/layout.ts'
import { send } from '../support/http.ts'
import { PROBE_SCHEMA } from '../support/fixtures/probe-schema.ts'

const PROBE = join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts')

function table(version: number, extraHosts: Record<string, unknown> = {}): EdgeTableInput {
  return {
    schema: PROBE_SCHEMA,
    routes: { rest: { rest: version }, hosts: { 'a.example': { host: 'a', version }, ...extraHosts } },
    endpoints: { version },
  }
}

async function probe(edge: LocalEdge, host = 'a.example'): Promise<{ status: number; body: string }> {
  return send(`${edge.url()}/`, { headers: { host } })
}

/** Polls until `check` passes (the worker refreshes every 250 ms). */
async function eventually(check: () => Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await check()
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** workerd's log lines: the table source says why it refused a table. */
const logs: string[] = []

/** Keeps probing for a while, asserts the served version never changed and the refusal was logged. */
async function refused(edge: LocalEdge, version: number, reason: RegExp): Promise<void> {
  await staysAt(edge, version)
  expect(logs.join('\n')).toMatch(reason)
  logs.length = 0
}

async function staysAt(edge: LocalEdge, version: number): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const { status, body } = await probe(edge)
    expect(status).toBe(200)
    expect(JSON.parse(body).endpoints.version).toBe(version)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Publishes `t` with `signer` into a scratch store and returns its pointer and blobs. */
async function packed(t: EdgeTableInput, signer: TableSigner) {
  const scratch = createMemoryKvStore()
  const pub = await TablePublisher.open({ store: scratch, signer, pointerMinIntervalMs: 0 })
  await pub.publish(t)
  return scratch.data
}

/** The probe worker on workerd over a fresh store that records the keys of every KV read. */
async function startProbe() {
  const stateDir = await mkdtemp(join(tmpdir(), 'edge-state-'))
  const store = createMemoryKvStore()
  const reads: string[][] = []
  const recording: KvStore = { ...store, get: (keys) => (reads.push([...keys]), store.get(keys)) }
  const edge = await startLocalEdge({
    store: recording,
    stateDir,
    workerEntry: PROBE,
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: (line) => logs.push(line),
  })
  const stop = async () => {
    await edge.stop()
    await rm(stateDir, { recursive: true, force: true })
  }
  return { stateDir, store, reads, edge, stop }
}

describe('table source on workerd', () => {
  let stateDir: string
  let store: ReturnType<typeof createMemoryKvStore>
  let reads: string[][]
  let edge: LocalEdge
  let stop = async () => {}
  let v2Pointer: string

  beforeAll(async () => {
    ;({ stateDir, store, reads, edge, stop } = await startProbe())
  })
  afterAll(() => stop())

  it('answers 503 with a clear body while no table is published', async () => {
    const { status, body } = await probe(edge)
    expect(status).toBe(503)
    expect(body).toMatch(/no route table: nothing published/)
  })

  it('serves a published table, then a newer one, without a restart', async () => {
    await edge.publish(table(1))
    await eventually(async () => {
      const { status, body } = await probe(edge)
      expect(status).toBe(200)
      expect(JSON.parse(body)).toEqual({ host: 'a.example', parts: [{ rest: 1 }, { host: 'a', version: 1 }], endpoints: { version: 1, services: {} } })
    })
    await edge.publish(table(2))
    await eventually(async () => expect(JSON.parse((await probe(edge)).body).endpoints.version).toBe(2))
    v2Pointer = store.data.get(POINTER_KEY)!
  })

  it('refuses a tampered blob and keeps the last good table', async () => {
    const next = await packed(table(3), edge.signer)
    for (const [k, v] of next) await store.put([[k, k.startsWith(BLOB_PREFIX) ? v.replace('3', '4') : v]])
    await refused(edge, 2, /tampered or truncated/)
  })

  it('refuses a truncated blob', async () => {
    const next = await packed(table(5), edge.signer)
    for (const [k, v] of next) await store.put([[k, k.startsWith(BLOB_PREFIX) ? v.slice(0, -3) : v]])
    await refused(edge, 2, /tampered or truncated/)
  })

  it('refuses an unsigned pointer and one signed by an unknown key', async () => {
    const next = await packed(table(6), edge.signer)
    const [header, payload] = next.get(POINTER_KEY)!.split('.')
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: POINTER_TYP })).toString('base64url')}.${payload}.`
    await store.put([...next].filter(([k]) => k !== POINTER_KEY))
    await store.put([[POINTER_KEY, unsigned]])
    await refused(edge, 2, /"alg" \(Algorithm\) Header Parameter value not allowed/)
    await store.put([[POINTER_KEY, `${header}.${payload}.${'A'.repeat(86)}`]])
    await refused(edge, 2, /signature verification failed/)
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const stranger = await signerFromJwk({ ...(await exportJWK(privateKey)), kid: edge.signer.kid })
    const forged = await packed(table(7), stranger)
    await store.put([...forged])
    await refused(edge, 2, /signature verification failed/)
  })

  it('refuses unknown layout and schema versions', async () => {
    const sign = (m: unknown) => edge.signer.sign(JSON.stringify(m))
    const next = await packed(table(8), edge.signer)
    const manifest = JSON.parse(Buffer.from(next.get(POINTER_KEY)!.split('.')[1]!, 'base64url').toString())
    await store.put([...next].filter(([k]) => k !== POINTER_KEY))
    await store.put([[POINTER_KEY, await sign({ ...manifest, layout: 99 })]])
    await refused(edge, 2, /unknown table layout version 99/)
    await store.put([[POINTER_KEY, await sign({ ...manifest, schema: 'probe-0' })]])
    await refused(edge, 2, /table schema "probe-0" is not "probe-1"/)
    // A token of another type signed by the right key is not a table either.
    const other = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
      .setProtectedHeader({ alg: 'Ed25519', kid: edge.signer.kid, typ: 'JWT' })
      .sign(await importJWK(JSON.parse(await readFile(join(stateDir, 'signing-key.jwk.json'), 'utf8')), 'Ed25519'))
    await store.put([[POINTER_KEY, other]])
    await refused(edge, 2, /pointer is a JWT token, not a table/)
    // The checks above really ran: a good pointer is taken right away.
    await store.put([[POINTER_KEY, await sign({ ...manifest, issuedAt: Date.now() })]])
    await eventually(async () => expect(JSON.parse((await probe(edge)).body).endpoints.version).toBe(8))
    // Replaying an older, validly signed pointer does not roll the edge back.
    await store.put([[POINTER_KEY, v2Pointer]])
    await refused(edge, 8, /older than the table in use/)
  })

  it('reads only the blobs a host needs once the table is sharded', async () => {
    const hosts = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`h${i}.example`, { host: i, pad: 'x'.repeat(200) }]))
    const { manifest } = await edge.publish(table(9, hosts))
    const n = manifest.routes.buckets.length
    expect(n).toBeGreaterThan(2)
    await eventually(async () => expect(JSON.parse((await probe(edge, 'h17.example')).body).endpoints.version).toBe(9))
    // A host in another bucket than the one loaded: exactly its bucket blob is read.
    const other = Array.from({ length: 3000 }, (_, i) => `h${i}.example`).find((h) => bucketOf(h, n) !== bucketOf('h17.example', n))!
    reads.length = 0
    const view = JSON.parse((await probe(edge, other)).body)
    expect(view.host).toBe(other)
    expect(view.parts.map((p: { host?: number }) => p.host)).toContain(Number(other.slice(1, -'.example'.length)))
    // Only the parts of hosts asked for are parsed and prepared: `rest` and this host's.
    expect(view.parts).toEqual([{ rest: 9 }, hosts[other]])
    const blobReads = reads.flat().filter((k) => k.startsWith(BLOB_PREFIX))
    expect(blobReads).toEqual([BLOB_PREFIX + manifest.routes.buckets[bucketOf(other, n)]])
    // Another host of that bucket joins the view from the text already read: no KV read.
    const sibling = Object.keys(hosts).find((h) => h !== other && bucketOf(h, n) === bucketOf(other, n))!
    reads.length = 0
    const grown = JSON.parse((await probe(edge, sibling)).body)
    expect(grown.parts).toEqual([{ rest: 9 }, hosts[other], hosts[sibling]])
    expect(reads.flat().filter((k) => k.startsWith(BLOB_PREFIX))).toEqual([])
  })
})

describe('endpoints per bucket on workerd', () => {
  // 3000 hosts, each with its own service; `rest` routes to `shared`, and every 100th host too.
  const HOSTS = Array.from({ length: 3000 }, (_, i) => `e${i}.example`)
  function sharded(version: number, servers: (i: number) => string = () => '10.0.0.1'): EdgeTableInput {
    const hosts = Object.fromEntries(
      HOSTS.map((h, i) => [h, { host: i, pad: 'x'.repeat(200), services: { [`s${i}`]: {}, ...(i % 100 ? {} : { shared: {} }) } }]),
    )
    const services = Object.fromEntries(HOSTS.map((_, i) => [`s${i}`, { servers: [servers(i)] }]))
    return {
      schema: PROBE_SCHEMA,
      routes: { rest: { rest: version, services: { shared: {} } }, hosts },
      endpoints: { version, services: { ...services, shared: { servers: ['10.9.9.9'] } } },
    }
  }
  let store: ReturnType<typeof createMemoryKvStore>
  let reads: string[][]
  let edge: LocalEdge
  let stop = async () => {}

  beforeAll(async () => {
    ;({ store, reads, edge, stop } = await startProbe())
  })
  afterAll(() => stop())

  it("gives a host the servers of its services, read from its bucket's shard alone", async () => {
    const { manifest } = await edge.publish(sharded(1, (i) => `10.0.${i % 250}.${Math.floor(i / 250)}`))
    const n = manifest.routes.buckets.length
    expect(n).toBeGreaterThan(2)
    reads.length = 0
    const view = JSON.parse((await probe(edge, 'e17.example')).body)
    expect(view.parts).toEqual([{ rest: 1, services: { shared: {} } }, expect.objectContaining({ host: 17 })])
    expect(view.endpoints).toEqual({ version: 1, services: { shared: { servers: ['10.9.9.9'] }, s17: { servers: ['10.0.17.0'] } } })
    // Cold: the pointer, then one bulk read of rest, rest's endpoints, the bucket and its shard.
    const bucket = bucketOf('e17.example', n)
    const shard = manifest.endpoints.buckets[endpointsShardOf(bucket, manifest)]
    expect(reads.filter((keys) => keys.some((k) => k.startsWith(BLOB_PREFIX)))).toEqual([
      [manifest.routes.rest, manifest.endpoints.rest, manifest.routes.buckets[bucket], shard].map((d) => BLOB_PREFIX + d),
    ])
    // A sibling in the bucket joins with its own servers, from the texts already held.
    const sibling = HOSTS.find((h, i) => i % 100 === 0 && i > 0 && bucketOf(h, n) === bucket)!
    const i = Number(sibling.slice(1, -'.example'.length))
    reads.length = 0
    const grown = JSON.parse((await probe(edge, sibling)).body)
    expect(Object.keys(grown.endpoints.services).sort()).toEqual(['s17', `s${i}`, 'shared'].sort())
    expect(grown.endpoints.services[`s${i}`]).toEqual({ servers: [`10.0.${i % 250}.${Math.floor(i / 250)}`] })
    expect(reads.flat().filter((k) => k.startsWith(BLOB_PREFIX))).toEqual([])
  })

  it('loads an endpoints-only change by reading the changed shard alone', async () => {
    const before = sharded(1, (i) => `10.0.${i % 250}.${Math.floor(i / 250)}`)
    const after = sharded(1, (i) => (i === 17 ? '10.1.1.1' : `10.0.${i % 250}.${Math.floor(i / 250)}`))
    const old = (await edge.publish(before)).manifest
    const result = await edge.publish(after)
    const m = result.manifest
    expect(m.routes).toEqual(old.routes)
    expect(m.endpoints.rest).toBe(old.endpoints.rest)
    const shard = endpointsShardOf(bucketOf('e17.example', m.routes.buckets.length), m)
    expect(m.endpoints.buckets.flatMap((d, j) => (d === old.endpoints.buckets[j] ? [] : [j]))).toEqual([shard])
    expect(result.blobsWritten).toBe(1)
    reads.length = 0
    await eventually(async () => expect(JSON.parse((await probe(edge, 'e17.example')).body).endpoints.services.s17).toEqual({ servers: ['10.1.1.1'] }))
    expect(reads.flat().filter((k) => k.startsWith(BLOB_PREFIX))).toEqual([BLOB_PREFIX + m.endpoints.buckets[shard]])
  })

  it('serves a layout-1 table (a control plane of the version before), then the next layout-2 one', async () => {
    // Layout 1: hex digests, one endpoints blob for every service.
    const texts = {
      rest: JSON.stringify({ rest: 7, services: { shared: {} } }),
      bucket: JSON.stringify({ hosts: { 'e17.example': { host: 17, services: { s17: {} } } } }),
      endpoints: JSON.stringify({ version: 7, services: { s17: { servers: ['10.7.7.7'] }, shared: { servers: ['10.9.9.9'] } } }),
    }
    const hex = Object.fromEntries(await Promise.all(Object.entries(texts).map(async ([k, t]) => [k, await sha256Hex(t)] as const)))
    await store.put(Object.entries(texts).map(([k, t]) => [BLOB_PREFIX + hex[k], t] as const))
    const v1 = {
      layout: 1,
      schema: PROBE_SCHEMA,
      issuedAt: Date.now(),
      routes: { version: hex.bucket, rest: hex.rest, buckets: [hex.bucket] },
      endpoints: { version: hex.endpoints },
    }
    await store.put([[POINTER_KEY, await edge.signer.sign(JSON.stringify(v1))]])
    await eventually(async () =>
      expect(JSON.parse((await probe(edge, 'e17.example')).body).endpoints).toEqual({
        version: 7,
        services: { s17: { servers: ['10.7.7.7'] }, shared: { servers: ['10.9.9.9'] } },
      }),
    )
    await new Promise((r) => setTimeout(r, 5))
    await edge.publish(sharded(3))
    await eventually(async () => expect(JSON.parse((await probe(edge, 'e17.example')).body).endpoints.version).toBe(3))
    expect(JSON.parse((await probe(edge, 'e17.example')).body).endpoints.services.s17).toEqual({ servers: ['10.0.0.1'] })
  })
})

describe('a cold isolate', () => {
  it('serves a burst of first requests from one load of the table', async () => {
    const { reads, edge, stop } = await startProbe()
    try {
      await edge.publish(table(1))
      reads.length = 0
      const answers = await Promise.all(Array.from({ length: 20 }, () => probe(edge)))
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
      expect(reads.filter((keys) => keys.includes(POINTER_KEY))).toHaveLength(1)
    } finally {
      await stop()
    }
  })
})
