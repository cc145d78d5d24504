/**
 * `npm run apiserver -- [--port N] [--state-dir DIR] [--event-ttl SECONDS] [--bookmark-interval SECONDS]
 * [--with-crds]`: the project's test Kubernetes API server on 127.0.0.1 over HTTPS (server.ts), for
 * the real kubectl and for `npm run controller -- --kubeconfig PATH`. Writes an admin kubeconfig
 * (a fresh bearer token, the server's CA) to DIR/apiserver/kubeconfig (default DIR .state), prints
 * one line `kubeconfig PATH` on stdout, and runs until SIGINT/SIGTERM. Objects live in memory: a
 * restart is a new, empty cluster (the namespaces default, kube-system, kube-public and
 * kube-node-lease; Traefik's CRDs too with --with-crds). ServiceAccount tokens: `kubectl create
 * token NAME -n NS`. Flags: `npm run apiserver -- --help`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type CliIO, defineCommand, nonNegative, port, runAsProcess } from '../../../control-plane/cli/command.ts'
import { DEFAULT_STATE_DIR } from '../../../control-plane/runtime/paths.ts'
import { startApiServer } from './server.ts'

export const apiserverCommand = defineCommand({
  name: 'apiserver',
  usage: ['npm run apiserver -- [flags]'],
  about:
    "The project's test Kubernetes API server on 127.0.0.1 over HTTPS, for the real kubectl and for npm run controller -- --kubeconfig PATH. Writes an admin kubeconfig to DIR/apiserver/kubeconfig, prints `kubeconfig PATH` on stdout and runs until SIGINT or SIGTERM. Objects live in memory: a restart is a new, empty cluster.",
  flags: {
    port: { type: 'string', value: 'N', convert: port, default: '0', help: 'the HTTPS port on 127.0.0.1 (0: any free port)' },
    'state-dir': { type: 'string', value: 'DIR', defaultText: '.state', help: 'where apiserver/kubeconfig is written' },
    'event-ttl': { type: 'string', value: 'SECONDS', convert: nonNegative, default: '3600', help: "how long an Event lives (the API server's --event-ttl)" },
    'bookmark-interval': { type: 'string', value: 'SECONDS', convert: nonNegative, default: '60', help: 'how often a watch that asked for bookmarks gets one' },
    'with-crds': { type: 'boolean', help: "Traefik's CRDs installed at start" },
  },
  exits: { 0: 'stopped by SIGINT or SIGTERM', 2: 'usage error' },
})

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return apiserverCommand.run(
    argv,
    io,
    ({ values }) => values,
    async (values) => {
      const token = randomBytes(24).toString('base64url')
      const ttl = values['event-ttl']
      const api = await startApiServer({
        tls: true,
        token,
        port: values.port,
        eventTtlMs: ttl * 1000,
        bookmarkIntervalMs: values['bookmark-interval'] * 1000,
        crds: values['with-crds'],
      })
      const dir = resolve(values['state-dir'] ?? DEFAULT_STATE_DIR, 'apiserver')
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const path = join(dir, 'kubeconfig')
      await writeFile(path, api.kubeconfig(), { mode: 0o600 })
      io.stderr(`apiserver: listening on ${api.url} (event TTL ${ttl} s)\n`)
      io.stdout(`kubeconfig ${path}\n`)
      return new Promise((done) => {
        const stop = () => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          void api.close().then(() => done(0))
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
    },
  )
}

if (import.meta.main) await runAsProcess(main)
