// Starts the real edge worker on workerd for a test, with a fresh in-memory KV store and signing
// key, and publishes tables into it through the real publisher (signed pointer + blobs).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'
import type { PublishResult } from '../../control-plane/publish/publisher.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import type { WorkerdEntryPoint } from '../../control-plane/runtime/workerd-config.ts'
import { send, type Sent, type SendOptions } from './http.ts'
import type { ProviderOptions } from '../../control-plane/compiler/index.ts'
import { parseManifestText } from '../../control-plane/manifests/load.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { internalDocuments } from '../../control-plane/dashboard/edge-document.ts'
import type { Built } from '../../control-plane/pipeline/built.ts'
import { buildFromSnapshot } from '../../control-plane/pipeline/pipeline.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import type { TunnelOptions } from '../../control-plane/table/services.ts'

/** What a test gives the edge: manifests (YAML text), a dynamic configuration, or a built table. */
export type EdgeInput = { yaml: string } | { config: DynamicConfig } | { table: EdgeTableInput }

export interface EdgeOptions {
  /** Published before the edge starts; without it the edge answers 503 until `apply`/`publish`. */
  input?: EdgeInput
  /** Provider flags for `yaml` input. */
  provider?: Partial<ProviderOptions>
  /** `workerd` (default) or `cloudflare`: the capabilities the table is built for. */
  target?: EdgeTarget
  /** Entry points by name (port chosen freely) or full definitions (HTTPS with `tls`). Default ['web']. */
  entryPoints?: Array<string | (Omit<WorkerdEntryPoint, 'address'> & { address?: string })>
  /** Worker entry module. Default edge-worker/src/index.ts. */
  worker?: string
  /** CA certificates (PEM) the worker trusts for HTTPS upstreams, e.g. [testCa().cert]. */
  trustedCertificates?: string[]
  /** Extra text bindings for the worker. */
  vars?: Record<string, string>
  /** The KV store; default a fresh in-memory one. */
  store?: KvStore
  /**
   * Give the first table's plain-HTTP passHostHeader upstreams a fixed-address service (the
   * product's default). false: every such request takes the UpstreamPool object (tests of the pool).
   */
  directUpstreams?: boolean
  /** workerd's log lines; default: kept in `logs`, printed only if the test calls `printLogs()`. */
  log?: (line: string) => void
}

export interface TestEdge {
  /** `http(s)://127.0.0.1:PORT` of an entry point (default the first). */
  url(entryPoint?: string): string
  /** Sends a request with any headers (Host included) to an entry point. */
  request(path: string, options?: SendOptions & { entryPoint?: string }): Promise<Sent>
  /** Builds and publishes (restarting workerd when serversTransports' TLS changed); the
   * next request after it resolves is served from it. */
  apply(input: EdgeInput): Promise<{ published: PublishResult; problems: string[] }>
  /** Publishes a built table; the next request after it resolves is served from it. */
  publish(table: EdgeTableInput): Promise<PublishResult>
  readonly store: KvStore
  readonly local: LocalEdge
  readonly logs: string[]
  stop(): Promise<void>
}

export async function startEdge(options: EdgeOptions = {}): Promise<TestEdge> {
  const stateDir = await mkdtemp(join(tmpdir(), 'edge-test-'))
  const store = options.store ?? createMemoryKvStore()
  const logs: string[] = []
  const entryPoints = (options.entryPoints ?? ['web']).map((ep) =>
    typeof ep === 'string' ? { name: ep, address: '127.0.0.1:0' } : { address: '127.0.0.1:0', ...ep },
  )
  const build = (input: EdgeInput) =>
    buildEdgeInput(input, {
      provider: options.provider,
      target: options.target,
      entryPoint: entryPoints[0]!.name,
      entryPoints: entryPoints.map((ep) => ep.name),
    })
  const initial = options.input ? build(options.input) : undefined
  let local: LocalEdge
  try {
    local = await startLocalEdge({
      store,
      stateDir,
      entryPoints,
      workerEntry: options.worker,
      trustedCertificates: options.trustedCertificates,
      ...(initial ? { outbound: options.directUpstreams === false ? { ...initial, directUpstreams: [] } : initial } : {}),
      vars: options.vars,
      log: options.log ?? ((line) => logs.push(line)),
    })
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true })
    throw err
  }
  const publish = async (table: EdgeTableInput) => {
    const result = await local.publish(table)
    // The worker looks for a newer pointer at most every 250 ms, and the request that looks
    // waits for the new table (local-edge.ts): past 250 ms, the next request gets it.
    if (result.changed) await new Promise((r) => setTimeout(r, 260))
    return result
  }
  if (initial) await local.publish(initial.table)
  return {
    url: (ep) => local.url(ep),
    request: (path, { entryPoint, ...rest } = {}) => send(local.url(entryPoint) + path, rest),
    apply: async (input) => {
      const built = build(input)
      // serversTransports' networks are in workerd's config: a change restarts it.
      await local.trust(options.directUpstreams === false ? { ...built, directUpstreams: [] } : built)
      return { published: await publish(built.table), problems: built.problems }
    },
    publish,
    store,
    local,
    logs,
    stop: async () => {
      await local.stop()
      await rm(stateDir, { recursive: true, force: true })
    },
  }
}

/** manifests (YAML text) or a dynamic configuration -> the edge table, as npm run edge builds it. */
export function buildEdgeInput(
  input: EdgeInput,
  options: { provider?: Partial<ProviderOptions>; target?: EdgeTarget; entryPoint?: string; entryPoints?: string[]; tunnel?: TunnelOptions } = {},
): Built {
  if ('table' in input) return { table: input.table, problems: [], trustedCertificates: [], channels: [], directUpstreams: [] }
  const stage = edgeTableStage({
    entryPoint: options.entryPoint ?? 'web',
    entryPoints: options.entryPoints,
    target: options.target,
    documents: internalDocuments(),
    ...(options.tunnel ? { tunnel: options.tunnel } : {}),
  })
  if ('config' in input) return stage(input.config)
  const parsed = parseManifestText(input.yaml, 'test.yaml')
  return buildFromSnapshot({ snapshot: { objects: parsed.objects.map((o) => o.object) }, diagnostics: parsed.diagnostics }, options.provider ?? {}, stage)
}
