// The edge's TableSource over the ROUTES KV namespace, configured from the worker's bindings:
//   ROUTES                 KV namespace holding the pointer and blobs (docs/table.md)
//   TABLE_JWKS             JSON Web Key Set the pointer's signature is checked against (var or secret)
//   TABLE_REFRESH_MS       optional, how often to look for a newer pointer (default 5000)
//   TABLE_REFRESH_WAIT_MS  optional, how long a request may wait for that look (default 0)
//   TABLE_BEACON           optional TableBeacon Durable Object namespace: the current pointer in
//                          seconds rather than KV's minute (./beacon-object.ts); asked only when
//                          TABLE_BEACON_TOKEN is set too (else nothing ever updates it)
//   TABLE_BEACON_MS        optional, how often an isolate asks the beacon (default 2000)
//   TABLE_BEACON_TOKEN     the bearer token of the beacon's PUT endpoint (./beacon-endpoint.ts)
import type { RoutingView } from '../../../shared/table/view.ts'
import type { WaitUntil } from '../../../shared/table/source.ts'
import { beaconReader } from './beacon-client.ts'
import type { BeaconEnv } from './beacon-endpoint.ts'
import { KvTableSource } from './kv-table-source.ts'
import { parseJwks, pointerVerifier } from './verify.ts'

export { KvTableSource, type KvTableSourceOptions, type TableSourceState } from './kv-table-source.ts'
export { LAYOUT_VERSION, POINTER_KEY, normalizeHost, type TableManifest } from '../../../shared/kv/layout.ts'
export { TableBeacon } from './beacon-object.ts'
export { BEACON_PATH, withBeaconEndpoint } from './beacon-endpoint.ts'

export interface TableSourceEnv extends BeaconEnv {
  ROUTES: KVNamespace
  TABLE_JWKS?: string
  TABLE_REFRESH_MS?: string
  TABLE_REFRESH_WAIT_MS?: string
  TABLE_BEACON_MS?: string
}

/** shared/table's TableSource, for any view type (tests use their own). */
export interface HostTableSource<View = RoutingView> {
  forHost(host: string, ctx: WaitUntil): Promise<View | { error: string }>
  ready?(host: string, ctx: WaitUntil): View | null
}

let perIsolate: { kv: KVNamespace; source: HostTableSource<unknown> } | null = null

/** The isolate's KV table source, once a request made one (the internal services read documents through it). */
export function isolateTableSource(env: { ROUTES?: unknown }): KvTableSource<unknown> | null {
  const p = perIsolate
  return p !== null && p.kv === env.ROUTES && p.source instanceof KvTableSource ? (p.source as KvTableSource<unknown>) : null
}

/**
 * One source per isolate (the cache lives as long as the isolate); misconfiguration answers
 * errors. The edge app passes shared/table's TableReader (`{ schema: TABLE_SCHEMA_VERSION, prepare:
 * prepareTable }`) and gets its TableSource.
 */
export function tableSourceFromEnv<View = RoutingView>(
  env: TableSourceEnv,
  table: { schema: string | number; prepare: (parts: unknown[], endpoints: unknown[], previous?: View) => View },
): HostTableSource<View> {
  if (perIsolate?.kv === env.ROUTES) return perIsolate.source as HostTableSource<View>
  let source: HostTableSource<View>
  try {
    source = new KvTableSource({
      kv: env.ROUTES,
      verify: pointerVerifier(parseJwks(env.TABLE_JWKS)),
      schema: table.schema,
      prepare: table.prepare,
      refreshIntervalMs: numberOr(env.TABLE_REFRESH_MS, 5000),
      refreshWaitMs: numberOr(env.TABLE_REFRESH_WAIT_MS, 0),
      ...(env.TABLE_BEACON && env.TABLE_BEACON_TOKEN
        ? { beacon: { read: beaconReader(env.TABLE_BEACON), intervalMs: numberOr(env.TABLE_BEACON_MS, 2000) } }
        : {}),
    })
  } catch (err) {
    const error = `edge misconfigured: ${(err as Error).message}`
    source = { forHost: async () => ({ error }) }
  }
  perIsolate = { kv: env.ROUTES, source }
  return source
}

function numberOr(text: string | undefined, fallback: number): number {
  const n = Number(text)
  return text !== undefined && text !== '' && Number.isFinite(n) && n >= 0 ? n : fallback
}
