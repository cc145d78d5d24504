// The wrangler configuration for `wrangler dev` on this machine, derived from the shipped
// wrangler.toml: the same worker, bindings and variables, except the VPC Network binding
// (`remote = true`, so wrangler dev would want an API token and the real network), which becomes the
// tunnel stand-in under the same name (edge-worker/src/local/tunnel-stand-in.ts, the worker binding
// its own LocalTunnel entrypoint). `npm run edge` and `npm start` write it as wrangler.local.json
// beside wrangler.toml (gitignored), with the .dev.vars that verify their tables:
// `npm run -s wrangler -- dev -c wrangler.local.json` serves what they publish.
import { writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { experimental_readRawConfig } from 'wrangler'
import { TUNNEL_BINDING } from '../../shared/table/tunnel.ts'
import { REPO_ROOT } from './paths.ts'

export const LOCAL_WRANGLER_CONFIG = join(REPO_ROOT, 'wrangler.local.json')
const DEV_ENTRY = join(REPO_ROOT, 'edge-worker/src/local/dev-entry.ts')

/** The local configuration for a file at `out` (its `main` relative to it, as wrangler resolves it). */
export function localWranglerConfig(out: string, configPath = join(REPO_ROOT, 'wrangler.toml')): Record<string, unknown> {
  const { rawConfig } = experimental_readRawConfig({ config: configPath })
  const {
    vpc_networks: vpc = [],
    services = [],
    ...rest
  } = rawConfig as Record<string, unknown> & { vpc_networks?: Array<{ binding: string }>; services?: unknown[] }
  const name = String(rest.name)
  const standIns = vpc.filter((v) => v.binding === TUNNEL_BINDING).map((v) => ({ binding: v.binding, service: name, entrypoint: 'LocalTunnel' }))
  return { ...rest, main: relative(dirname(out), DEV_ENTRY), services: [...services, ...standIns] }
}

export async function writeLocalWranglerConfig(out = LOCAL_WRANGLER_CONFIG, configPath?: string): Promise<string> {
  const config = localWranglerConfig(out, configPath)
  // JSON has no comments and wrangler warns of unknown fields: what this file is, is said in docs/deploy.md.
  await writeFile(out, `${JSON.stringify(config, null, 2)}\n`)
  return out
}
