// The worker's entry module (wrangler.toml `main`): the edge over the ROUTES table source, as a
// plain fetch handler (app.ts: createEdge() is the same edge as a Hono app).
import { edgeFetch } from './app.ts'
import { withBeaconEndpoint } from './table-source/beacon-endpoint.ts'

// The control plane's PUT of a new table pointer (token-guarded) goes to the version beacon.
export default { fetch: withBeaconEndpoint(edgeFetch()) }
// Internal metrics entrypoints (./observability/entrypoints.ts), named in the self-hosted config only.
export { metricsEntrypoint as metrics, prometheusEntrypoint as prometheus } from './observability/entrypoints.ts'
// The Durable Object behind the global limits (./durable/limits.ts; wrangler.toml and the self-hosted config bind it).
export { EdgeLimiter } from './durable/limiter-object.ts'
// Owns kept-alive upstream connections (the UPSTREAM_POOL binding; proxy/socket-pool).
export { UpstreamPool } from './proxy/socket-pool/pool-object.ts'
// The version beacon: the current table pointer in seconds (./table-source/beacon-object.ts; TABLE_BEACON).
export { TableBeacon } from './table-source/beacon-object.ts'
