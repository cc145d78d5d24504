/**
 * `npm run apiserver -- [--port N] [--state-dir DIR] [--event-ttl SECONDS] [--bookmark-interval SECONDS]
 * [--with-crds]`: the project's test Kubernetes API server on 127.0.0.1 over HTTPS (server.ts), for
 * the real kubectl and for `npm run controller -- --kubeconfig PATH`. Writes an admin kubeconfig
 * (a fresh bearer token, the server's CA) to DIR/apiserver/kubeconfig (default DIR .state), prints
 * one line `kubeconfig PATH` on stdout, and runs until SIGINT/SIGTERM. Objects live in memory: a
 * restart is a new, empty cluster (the namespaces default, kube-system, kube-public and
 * kube-node-lease; Traefik's CRDs too with --with-crds). ServiceAccount tokens: `kubectl create
 * token NAME -n NS`. Exit 2 on a usage error.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_STATE_DIR } from '../../../control-plane/runtime/paths.ts'
import { startApiServer } from './server.ts'

const USAGE = 'usage: npm run apiserver -- [--port N] [--state-dir DIR] [--event-ttl SECONDS] [--bookmark-interval SECONDS] [--with-crds]\n'

async function main(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        'state-dir': { type: 'string' },
        'event-ttl': { type: 'string' },
        'bookmark-interval': { type: 'string' },
        'with-crds': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    process.stderr.write(`apiserver: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (values.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const number = (flag: 'port' | 'event-ttl' | 'bookmark-interval', fallback: number) => {
    const v = values[flag]
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0 || (flag === 'port' && (!Number.isInteger(n) || n > 65535))) throw new Error(`--${flag}: "${v}" is not a valid number`)
    return n
  }
  let port: number, ttl: number, bookmark: number
  try {
    port = number('port', 0)
    ttl = number('event-ttl', 3600)
    bookmark = number('bookmark-interval', 60)
  } catch (err) {
    process.stderr.write(`apiserver: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const token = randomBytes(24).toString('base64url')
  const api = await startApiServer({ tls: true, token, port, eventTtlMs: ttl * 1000, bookmarkIntervalMs: bookmark * 1000, crds: values['with-crds'] === true })
  const dir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR, 'apiserver')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, 'kubeconfig')
  await writeFile(path, api.kubeconfig(), { mode: 0o600 })
  process.stderr.write(`apiserver: listening on ${api.url} (event TTL ${ttl} s)\n`)
  process.stdout.write(`kubeconfig ${path}\n`)
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      void api.close().then(() => done(0))
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

process.exit(await main(process.argv.slice(2)))
