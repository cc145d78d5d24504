/**
 * What the edge serves `api@internal` and `dashboard@internal` from: a JSON document the control
 * plane writes when it builds a table that routes to them (a blob the table's internal service
 * names by digest), and the live health the worker lays over it.
 *
 * @module
 */
import type { ApiData } from './traefik-api.ts'

export interface InternalDocument {
  /** Traefik's API: the runtime configuration and static facts, as of the build. */
  api: ApiData
  /** The dashboard: its page's files and its state (only when a route uses it). */
  dashboard?: {
    files: Record<string, { body: string; type: string }>
    state: unknown
  }
}

/** The servers of the endpoints parts (shared/table's EndpointsTable), by service key. */
type EndpointsPart = { services?: Record<string, { servers?: Array<{ url: string; up: boolean }> }> }

/**
 * The document with the servers' health of `endpoints` (the published endpoints, which health
 * checks update without a new table): Traefik's `serverStatus`, and the dashboard's `up`.
 */
export function withHealth(doc: InternalDocument, endpoints: unknown[]): InternalDocument {
  const up = new Map<string, Map<string, boolean>>()
  for (const part of endpoints as EndpointsPart[]) {
    for (const [key, s] of Object.entries(part?.services ?? {})) if (!up.has(key)) up.set(key, new Map((s.servers ?? []).map((x) => [x.url, x.up])))
  }
  const status = (key: string, url: string, fallback: string) => {
    const u = up.get(key)?.get(url)
    return u === undefined ? fallback : u ? 'UP' : 'DOWN'
  }
  const services = Object.fromEntries(
    Object.entries(doc.api.runtime.services ?? {}).map(([name, s]) => {
      if (!s.serverStatus) return [name, s]
      const key = name.endsWith('@kubernetescrd') ? name.slice(0, -'@kubernetescrd'.length) : name
      return [name, { ...s, serverStatus: Object.fromEntries(Object.entries(s.serverStatus).map(([url, v]) => [url, status(key, url, v)])) }]
    }),
  )
  const state = doc.dashboard?.state as { services?: Array<{ name: string; servers: Array<{ url: string; up: boolean }> }> } | undefined
  return {
    api: { ...doc.api, runtime: { ...doc.api.runtime, services } },
    ...(doc.dashboard
      ? {
          dashboard: {
            files: doc.dashboard.files,
            state: state?.services
              ? {
                  ...state,
                  services: state.services.map((s) => ({
                    ...s,
                    servers: s.servers.map((x) => ({ ...x, up: status(s.name, x.url, x.up ? 'UP' : 'DOWN') === 'UP' })),
                  })),
                }
              : state,
          },
        }
      : {}),
  }
}
