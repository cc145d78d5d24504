// The real kubectl for tests: the one on PATH when it is recent enough, else Debian's own
// `kubectl` package (trixie, 1.32), downloaded once from deb.debian.org, checked against the
// archive's SHA-256 and unpacked into node_modules/.cache (no root, no apt source to configure).
// Bookworm's `kubernetes-client` is 1.20, which speaks neither aggregated discovery nor OpenAPI
// v3, hence trixie's package. Runs are asynchronous: the test API server answers in the same process.
import { execFile, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MIN_MINOR = 27
const DEBIAN_DEB = {
  url: 'http://deb.debian.org/debian/pool/main/k/kubernetes/kubectl_1.32.3+ds-2_amd64.deb',
  sha256: '9825aaf4c14913027aae04af8688e580459f781c829bd5de00cc4dc2cc5a867f',
}
const CACHE = join(import.meta.dirname, '../../node_modules/.cache/debian-kubectl')
const CACHED_BIN = join(CACHE, 'usr/bin/kubectl')

function onPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

function minorOf(bin: string): number {
  const version = spawnSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })
  return Number(/"minor":\s*"(\d+)/.exec(version.stdout ?? '')?.[1] ?? 0)
}

/** Downloads and unpacks Debian's kubectl package once (flock: parallel test files install once). */
function installDebianKubectl(): string {
  if (existsSync(CACHED_BIN)) return CACHED_BIN
  mkdirSync(join(CACHE, '..'), { recursive: true })
  const work = mkdtempSync(join(tmpdir(), 'debian-kubectl-'))
  const deb = join(work, 'kubectl.deb')
  const script = `command -v curl >/dev/null && curl -fsS --max-time 300 -o "$1" "$2" || wget -q -O "$1" "$2"`
  const got = spawnSync('flock', [join(CACHE, '..', 'debian-kubectl.lock'), 'sh', '-c', script, 'sh', deb, DEBIAN_DEB.url], {
    encoding: 'utf8',
    timeout: 600_000,
  })
  if (existsSync(CACHED_BIN)) return CACHED_BIN
  if (got.status !== 0 || !existsSync(deb)) throw new Error(`kubectl is not on PATH and ${DEBIAN_DEB.url} could not be downloaded: ${got.stderr}`)
  const digest = createHash('sha256').update(readFileSync(deb)).digest('hex')
  if (digest !== DEBIAN_DEB.sha256) throw new Error(`${DEBIAN_DEB.url}: SHA-256 ${digest}, expected ${DEBIAN_DEB.sha256}`)
  const unpacked = join(work, 'root')
  const x = spawnSync('dpkg-deb', ['-x', deb, unpacked], { encoding: 'utf8' })
  if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb}: ${x.stderr}`)
  try {
    renameSync(unpacked, CACHE)
  } catch (err) {
    if (!existsSync(CACHED_BIN)) throw err // another test file unpacked it first
  }
  rmSync(work, { recursive: true, force: true })
  return CACHED_BIN
}

/** kubectl's path: the one on PATH when it is 1.27 or newer, else Debian's package. */
export function ensureKubectl(): string {
  const path = onPath()
  if (path !== null && minorOf(path) >= MIN_MINOR) return path
  const bin = installDebianKubectl()
  const minor = minorOf(bin)
  if (minor < MIN_MINOR) throw new Error(`kubectl at ${bin} is 1.${minor}; the tests need 1.${MIN_MINOR} or newer (aggregated discovery, OpenAPI v3)`)
  return bin
}

export interface KubectlResult {
  code: number
  stdout: string
  stderr: string
}

/** A kubectl bound to one kubeconfig, with its own HOME (discovery cache) so runs do not share state. */
export function kubectlFor(kubeconfigPath: string): (...args: string[]) => Promise<KubectlResult> {
  const bin = ensureKubectl()
  const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'))
  return (...args) =>
    new Promise((resolve) => {
      execFile(
        bin,
        args,
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfigPath }, timeout: 60_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0
          resolve({ code, stdout, stderr })
        },
      )
    })
}
