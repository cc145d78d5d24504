// Writes what `workerd serve` needs to run the edge: the bundled worker and the generated config.
// The local runtime writes them to a scratch directory; the self-hosted mode
// (`npm run edge -- --emit-workerd DIR`) writes them for an operator to run as they are.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bundleWorker } from './bundle-worker.ts'
import { workerdConfig, type WorkerdChannel, type WorkerdEntryPoint } from './workerd-config.ts'
import { DEFAULT_WORKER, REPO_ROOT, TUNNEL_STAND_IN } from './paths.ts'

export interface WorkerdEdgeFiles {
  entryPoints: WorkerdEntryPoint[]
  /** host:port of the service answering workerd's KV protocol for ROUTES. */
  kvAddress: string
  /** Text bindings: TABLE_JWKS and the refresh settings at least. */
  vars: Record<string, string>
  workerEntry?: string
  trustedCertificates?: string[]
  /** serversTransports' own networks (./workerd-config.ts). */
  channels?: WorkerdChannel[]
  /** Plain-HTTP upstreams with a fixed-address service of their own (./workerd-config.ts). */
  directUpstreams?: string[]
  /** host:port of the internal Prometheus metrics socket. */
  metricsAddress?: string
  /** Bind TUNNEL_BINDING to the local tunnel stand-in (local runs; never in a self-hosted config). */
  tunnelStandIn?: boolean
}

/** Writes `worker.js` and `config.capnp` into `dir`; returns the config's path. */
export async function writeWorkerdEdgeFiles(dir: string, files: WorkerdEdgeFiles): Promise<string> {
  await writeFile(join(dir, 'worker.js'), await bundleWorker(files.workerEntry ?? DEFAULT_WORKER))
  if (files.tunnelStandIn) await writeFile(join(dir, 'tunnel.js'), await bundleWorker(TUNNEL_STAND_IN))
  const wrangler = await readWranglerToml()
  const configPath = join(dir, 'config.capnp')
  await writeFile(
    configPath,
    workerdConfig({
      workerFile: 'worker.js',
      compatibilityDate: wrangler.compatibilityDate,
      compatibilityFlags: wrangler.compatibilityFlags,
      entryPoints: files.entryPoints,
      vars: files.vars,
      kv: { ROUTES: files.kvAddress },
      trustedCertificates: files.trustedCertificates,
      channels: files.channels,
      directUpstreams: files.directUpstreams,
      ...(files.metricsAddress ? { metrics: { address: files.metricsAddress } } : {}),
      ...(files.tunnelStandIn ? { tunnelWorkerFile: 'tunnel.js' } : {}),
    }),
  )
  return configPath
}

/** compatibility_date and compatibility_flags of the repo's wrangler.toml (the one source of truth). */
export async function readWranglerToml(path = join(REPO_ROOT, 'wrangler.toml')): Promise<{ compatibilityDate: string; compatibilityFlags: string[] }> {
  const text = await readFile(path, 'utf8')
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1]
  if (!date) throw new Error(`${path}: no compatibility_date`)
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? ''
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) }
}
