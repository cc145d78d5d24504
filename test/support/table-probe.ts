// The table loader alone on workerd (fixtures/table-probe-worker.ts serves what it loads for the
// request's host), over a fresh in-memory store that records the keys of every KV read, with
// tables the real publisher signs: for tests of loading, verification and refusals.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import type { TableSigner } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT, startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { PROBE_SCHEMA } from './fixtures/probe-schema.ts'
import { send } from './http.ts'

const PROBE = join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts')

/** A probe table: `rest` and host `a.example` (plus `extraHosts`), stamped with `version`. */
export function probeTable(version: number, extraHosts: Record<string, unknown> = {}): EdgeTableInput {
  return {
    schema: PROBE_SCHEMA,
    routes: { rest: { rest: version }, hosts: { 'a.example': { host: 'a', version }, ...extraHosts } },
    endpoints: { version },
  }
}

export async function probe(edge: LocalEdge, host = 'a.example'): Promise<{ status: number; body: string }> {
  return send(`${edge.url()}/`, { headers: { host } })
}

export interface TableProbe {
  stateDir: string
  store: ReturnType<typeof createMemoryKvStore>
  /** The keys of every KV read, one array per read. */
  reads: string[][]
  edge: LocalEdge
  /** workerd's log lines: the table source says why it refused a table. */
  logs: string[]
  stop(): Promise<void>
}

export async function startTableProbe(): Promise<TableProbe> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edge-state-'))
  const store = createMemoryKvStore()
  const reads: string[][] = []
  const logs: string[] = []
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
  return { stateDir, store, reads, edge, logs, stop }
}

/** Publishes `t` with `signer` into a scratch store and returns what it wrote (pointer and blobs). */
export async function packedWith(t: EdgeTableInput, signer: TableSigner): Promise<Map<string, string>> {
  const scratch = createMemoryKvStore()
  const pub = await TablePublisher.open({ store: scratch, signer, pointerMinIntervalMs: 0 })
  await pub.publish(t)
  return scratch.data
}

/** Keeps probing a while: the served version never changes. */
export async function staysAt(edge: LocalEdge, version: number): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const { status, body } = await probe(edge)
    expect(status).toBe(200)
    expect(JSON.parse(body).endpoints.version).toBe(version)
    await new Promise((r) => setTimeout(r, 100))
  }
}
