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
import { WORKERD_ENVIRONMENT, WRANGLER_ENVIRONMENT } from './environment.ts'
import { onShutdown } from '../runtime/shutdown.ts'
import { type CliIO, defineCommand, port, runAsProcess } from './command.ts'

const EXAMPLES = join(REPO_ROOT, 'examples')

export const startCommand = defineCommand({
  name: 'start',
  usage: ['npm start'],
  about:
    'The product on its embedded default: demo upstream servers for the EndpointSlices in examples/, the control plane in file mode on examples/, the local KV store and the edge on workerd. Prints the URL and curl lines to try; serves until SIGINT or SIGTERM. npm run edge takes the flags.',
  flags: {},
  environment: {
    PORT: "the edge's port on 127.0.0.1 (default 8787; 0: any free port)",
    DASHBOARD_PORT: "the dashboard's port (default PORT + 1; any free port when PORT is 0)",
    ...WORKERD_ENVIRONMENT,
    ...WRANGLER_ENVIRONMENT,
  },
  exits: { 0: 'stopped by SIGINT or SIGTERM', 1: 'the edge could not start', 2: 'usage error' },
})

export function main(argv: readonly string[], io: CliIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return startCommand.run(
    argv,
    io,
    () => {
      const edgePort = port(env.PORT ?? '8787', 'PORT')
      // The dashboard next to the edge (8788 by default); any free port when the edge's is chosen freely.
      return { edge: edgePort, dashboard: port(env.DASHBOARD_PORT ?? String(edgePort === 0 ? 0 : edgePort + 1), 'DASHBOARD_PORT') }
    },
    (ports) => serve(ports, io),
  )
}

async function serve(ports: { edge: number; dashboard: number }, io: CliIO): Promise<number> {
  const report = (line: string) => io.stderr(`${line}\n`)
  const { snapshot } = await loadManifests([EXAMPLES])
  const upstreams = await startDemoUpstreams(demoUpstreams(snapshot))
  let edge
  try {
    edge = await runEdge({ manifests: [EXAMPLES], provider: {}, port: ports.edge, entryPoint: 'web', dashboardPort: ports.dashboard, report })
  } catch (err) {
    await upstreams.close()
    report(`start: ${(err as Error).message}`)
    return 1
  }
  io.stdout(
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

if (import.meta.main) await runAsProcess(main)
