// The self-hosted edge: the files to run the worker under `workerd serve` on one's own machines,
// with ROUTES served by a KV service at a given address (anything answering workerd's KV
// protocol, such as serveKvForWorkerd over a store) and the local signing key's JWKS.
// Operators can re-point sockets without editing: `workerd serve config.capnp --socket-addr web=0.0.0.0:80`.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { loadOrCreateDevSigningKey } from '../publish/signing-key.ts'
import { loadOrCreateDevSecretsKey, SECRETS_KEY_BINDING } from '../publish/seal-secrets.ts'
import { DEFAULT_STATE_DIR, DEV_SECRETS_KEY, DEV_SIGNING_KEY } from './paths.ts'
import type { OutboundTls } from './local-edge.ts'
import type { WorkerdSocketTls } from './workerd-config.ts'
import { writeWorkerdEdgeFiles } from './workerd-edge-files.ts'

export interface SelfHostedOptions {
  dir: string
  entryPoint: string
  port: number
  kvAddress: string
  stateDir?: string
  workerEntry?: string
  /** How often the worker looks for a newer table. Default 1000 ms: the KV service is nearby. */
  refreshMs?: number
  /** A second socket serving HTTPS (see ./workerd-tls.ts for what its TLS settings can hold). */
  https?: { entryPoint: string; port: number; tls: WorkerdSocketTls }
  /** Observability bindings (edge-worker/src/observability/settings.ts). */
  vars?: Record<string, string>
  /** The internal Prometheus metrics socket's port. */
  metricsPort?: number
  /** What the manifests' tables need of the outbound: CAs, the serversTransports' own networks. */
  outbound?: OutboundTls
}

/** Writes worker.js and config.capnp into `dir`; returns the config path. */
export async function emitSelfHostedEdge(options: SelfHostedOptions): Promise<string> {
  const signer = await loadOrCreateDevSigningKey(join(options.stateDir ?? DEFAULT_STATE_DIR, DEV_SIGNING_KEY))
  // The private key that opens the table's sealed secrets: config.capnp is as secret as it.
  const secrets = await loadOrCreateDevSecretsKey(join(options.stateDir ?? DEFAULT_STATE_DIR, DEV_SECRETS_KEY))
  await mkdir(options.dir, { recursive: true })
  return writeWorkerdEdgeFiles(options.dir, {
    entryPoints: [
      { name: options.entryPoint, address: `127.0.0.1:${options.port}` },
      ...(options.https ? [{ name: options.https.entryPoint, address: `127.0.0.1:${options.https.port}`, tls: options.https.tls }] : []),
    ],
    kvAddress: options.kvAddress,
    workerEntry: options.workerEntry,
    ...(options.outbound
      ? {
          trustedCertificates: [...options.outbound.trustedCertificates],
          channels: [...options.outbound.channels],
          directUpstreams: [...(options.outbound.directUpstreams ?? [])],
        }
      : {}),
    vars: {
      ...options.vars,
      TABLE_JWKS: JSON.stringify(signer.jwks),
      TABLE_REFRESH_MS: String(options.refreshMs ?? 1000),
      [SECRETS_KEY_BINDING]: secrets.binding,
    },
    ...(options.metricsPort === undefined ? {} : { metricsAddress: `127.0.0.1:${options.metricsPort}` }),
  })
}
