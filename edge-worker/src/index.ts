// The worker's entry module (wrangler.toml `main`): the edge app over the ROUTES table source.
import { createEdge } from './app.ts'

export default createEdge()
