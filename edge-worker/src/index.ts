// The worker's entry module (wrangler.toml `main`): the edge app over the ROUTES table source.
import { createEdge } from './app.ts'

export default createEdge()
// Internal metrics entrypoints (./observability/entrypoints.ts), named in the self-hosted config only.
export { metricsEntrypoint as metrics, prometheusEntrypoint as prometheus } from './observability/entrypoints.ts'
