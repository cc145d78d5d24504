/**
 * How the edge worker gets its table: the contract between the request path (edge-worker/src)
 * and the KV loader (edge-worker/src/table-source, which implements it over the ROUTES binding:
 * signature check, per-isolate cache, last-known-good, background refresh).
 *
 * The loader reads the parts a host needs (`rest` plus the host parts of its bucket, see
 * ./split.ts) and their endpoints, calls `prepareTable(parts, endpoints)` once per version and
 * caches the result. The app asks per request:
 *
 *   const view = await source.forHost(host, ctx)
 *   if ('error' in view) return 503 (no table)
 *
 * @module
 */
import type { RoutingView } from './view.ts'

export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void
}

export interface TableSource {
  /** The prepared view that routes `host` (any case, with or without port), or why there is none. */
  forHost(host: string, ctx: WaitUntil): Promise<RoutingView | { error: string }>
  /**
   * The view for `host` when it is at hand (loaded, prepared, nothing to wait for), else null and
   * the request asks forHost. Spares the request path a promise; a source may leave it out.
   */
  ready?(host: string, ctx: WaitUntil): RoutingView | null
}

/** What the loader needs from the table modules: the schema it accepts and the pure prepare step. */
export interface TableReader {
  schema: string
  /**
   * `endpoints`: parts of the endpoints table, `rest`'s then the bucket's (docs/table.md).
   * `previous`: the view being grown by more parts of the same version (its routers are kept).
   */
  prepare: (parts: unknown[], endpoints: unknown[], previous?: RoutingView) => RoutingView
}
