// The real kubectl for tests: the one on PATH, else installed with apt-get the first time a test
// needs it (as chromium.ts does for the browser tests). Debian's archive has no current kubectl
// (bookworm's `kubernetes-client` is 1.20, which speaks neither aggregated discovery nor OpenAPI
// v3); the `kubectl` package (1.32, from the Cloud SDK's apt repository) is what the project's
// machine image carries, and apt-get installs it where that repository is configured. Runs are
// asynchronous: the test API server answers in the same process.
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const MIN_MINOR = 27

function which(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** kubectl's path; installs it when missing (needs root and an apt repository that has it). */
export function ensureKubectl(): string {
  let path = which()
  if (path === null) {
    // flock: test files running in parallel install once.
    const install = 'flock /tmp/traefik-edge-kubectl.lock sh -c "command -v kubectl || { apt-get install -y kubectl || { apt-get update && apt-get install -y kubectl; }; }"'
    const r = spawnSync('sh', ['-c', install], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 900_000 })
    path = which()
    if (path === null) throw new Error(`kubectl is not installed and apt-get could not install it (status ${r.status}):\n${r.stderr?.toString() ?? ''}`)
  }
  const version = spawnSync(path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })
  const minor = Number(/"minor":\s*"(\d+)/.exec(version.stdout)?.[1] ?? 0)
  if (minor < MIN_MINOR) throw new Error(`kubectl at ${path} is 1.${minor}; the tests need 1.${MIN_MINOR} or newer (aggregated discovery, OpenAPI v3)`)
  return path
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
      execFile(bin, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfigPath }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0
        resolve({ code, stdout, stderr })
      })
    })
}
