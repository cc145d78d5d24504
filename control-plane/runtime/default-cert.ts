// Traefik's answer when no certificate is configured: a generated self-signed default
// certificate (CN "TRAEFIK DEFAULT CERT"). Made once with the openssl CLI (present wherever
// workerd runs; no maintained npm package makes X.509 certificates without pulling in a
// crypto stack of its own) and kept in the state directory so restarts serve the same one.
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Keypair } from './workerd-tls.ts'

const run = promisify(execFile)

export async function loadOrCreateDefaultCert(stateDir: string): Promise<Keypair> {
  const cert = join(stateDir, 'default-cert.pem')
  const key = join(stateDir, 'default-key.pem')
  try {
    return { certificateChain: await readFile(cert, 'utf8'), privateKey: await readFile(key, 'utf8') }
  } catch {
    await mkdir(stateDir, { recursive: true })
    await rm(cert, { force: true })
    try {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '365',
        '-subj',
        '/CN=TRAEFIK DEFAULT CERT',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ])
    } catch (err) {
      throw new Error(`generating the default certificate needs the openssl command: ${(err as Error).message}`)
    }
    return { certificateChain: await readFile(cert, 'utf8'), privateKey: await readFile(key, 'utf8') }
  }
}
