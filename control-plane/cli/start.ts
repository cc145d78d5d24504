/**
 * `npm start`: the product on its embedded default. Demo upstream servers for the EndpointSlices
 * in examples/, the control plane in file mode on examples/, the local KV store and the edge on
 * workerd at http://127.0.0.1:8787. Prints the URL and curl lines to try; serves until SIGINT or
 * SIGTERM.
 *
 * @module
 */

import { join } from 'node:path'
import { loadManifests } from '../manifests/load.ts'
import { demoUpstreams, startDemoUpstreams } from '../runtime/demo-upstreams.ts'
import { REPO_ROOT } from '../runtime/local-edge.ts'
import { runEdge } from './run-edge.ts'
import { onShutdown } from '../runtime/shutdown.ts'

const EXAMPLES = join(REPO_ROOT, 'examples')
const PORT = Number(process.env.PORT ?? 8787)
// The dashboard next to the edge (8788 by default); any free port when the edge's is chosen freely.
const DASHBOARD_PORT = Number(process.env.DASHBOARD_PORT ?? (PORT === 0 ? 0 : PORT + 1))

async function main(): Promise<number> {
  const report = (line: string) => process.stderr.write(`${line}\n`)
  const { snapshot } = await loadManifests([EXAMPLES])
  const upstreams = await startDemoUpstreams(demoUpstreams(snapshot))
  let edge
  try {
    edge = await runEdge({ manifests: [EXAMPLES], provider: {}, port: PORT, entryPoint: 'web', dashboardPort: DASHBOARD_PORT, report })
  } catch (err) {
    await upstreams.close()
    report(`start: ${(err as Error).message}`)
    return 1
  }
  process.stdout.write(
    [
      `ready ${edge.url}`,
      '',
      `The edge serves examples/ (edit the files: changes are live within 2 s). Try:`,
      `  curl -H 'Host: demo.localhost' ${edge.url}/             # whoami-v1, two pods in turn`,
      `  curl -H 'Host: demo.localhost' ${edge.url}/api/users    # api, /api stripped`,
      `  curl -H 'Host: canary.localhost' ${edge.url}/           # 3 of 4 to v1, 1 to v2`,
      `  curl -u admin:edge -H 'Host: admin.localhost' ${edge.url}/  # basicAuth + rateLimit (401 without -u)`,
      `  curl -H 'Host: nowhere.localhost' ${edge.url}/          # 404: no router matches`,
      ...(edge.dashboardUrl
        ? [
            '',
            `Dashboard (routers, services, middlewares, explain): ${edge.dashboardUrl}`,
            `Traefik's API: curl ${edge.dashboardUrl}api/overview   # and api/rawdata, api/http/routers...`,
          ]
        : []),
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  )
  return onShutdown({ exited: edge.exited, stop: async () => (await edge.stop(), await upstreams.close()) }, report)
}

process.exit(await main())
