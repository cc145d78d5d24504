// Certificates for HTTPS upstreams and listeners in tests: one throwaway CA per process (openssl
// CLI), leaf certificates signed by it for the names and loopback addresses a test uses. Give
// `testCa().cert` to whatever must trust them (workerd's trustedCertificates, undici's ca).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pem {
  cert: string
  key: string
}

let ca: Pem | null = null

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function inTempDir<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'edge-certs-'))
  try {
    return run(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The process's test CA (created on first use). */
export function testCa(): Pem {
  ca ??= inTempDir((dir) => {
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=traefik-edge test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ])
    return { cert: readFileSync(join(dir, 'ca.crt'), 'utf8'), key: readFileSync(join(dir, 'ca.key'), 'utf8') }
  })
  return ca
}

/** A leaf certificate for the given DNS names and IP addresses, signed by the test CA. */
export function leafCert(names: { dns?: string[]; ip?: string[] }): Pem {
  const authority = testCa()
  const san = [...(names.dns ?? []).map((d) => `DNS:${d}`), ...(names.ip ?? []).map((i) => `IP:${i}`)]
  return inTempDir((dir) => {
    writeFileSync(join(dir, 'ca.crt'), authority.cert)
    writeFileSync(join(dir, 'ca.key'), authority.key)
    writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`)
    openssl(dir, [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      `/CN=${names.dns?.[0] ?? names.ip?.[0] ?? 'leaf'}`,
    ])
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'leaf.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ])
    return { cert: readFileSync(join(dir, 'leaf.crt'), 'utf8'), key: readFileSync(join(dir, 'leaf.key'), 'utf8') }
  })
}
