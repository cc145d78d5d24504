// The system tools the wrk benchmarks need (Debian packages): found on PATH, installed with
// apt-get when missing and this process may (root, as CI and the project's machines run), or
// else named exactly, without a stack trace. As the tests install theirs (test/support/chromium.ts).
import { spawnSync } from 'node:child_process'

/** Command -> the Debian package that has it. */
const PACKAGES: Record<string, string> = { wrk: 'wrk', nginx: 'nginx', haproxy: 'haproxy', taskset: 'util-linux', curl: 'curl' }

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

/** Makes sure every command is there; exits with a message naming what to install when it cannot. */
export function ensureTools(commands: Array<keyof typeof PACKAGES>): void {
  const missing = commands.filter((c) => !has(c))
  if (missing.length === 0) return
  const packages = [...new Set(missing.map((c) => PACKAGES[c]!))].join(' ')
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (root && has('apt-get')) {
    process.stderr.write(`[bench] installing ${packages} (apt-get)\n`)
    // flock: benchmarks started together install once.
    const install = `flock /tmp/traefik-edge-bench-tools.lock sh -c "apt-get install -y ${packages} || { apt-get update && apt-get install -y ${packages}; }"`
    const r = spawnSync('sh', ['-c', install], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 900_000,
    })
    const still = commands.filter((c) => !has(c))
    if (still.length === 0) return
    process.stderr.write(`[bench] apt-get could not install ${packages} (status ${r.status}):\n${r.stderr?.toString().slice(-2000) ?? ''}\n`)
  }
  process.stderr.write(`[bench] missing ${missing.join(', ')}: install the Debian packages ${packages} (sudo apt-get install -y ${packages}) and run again\n`)
  process.exit(1)
}
