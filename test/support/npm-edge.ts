// `npm run edge` as a user runs it, for e2e tests: a spawned npm process, its `ready URL` line
// awaited, its output kept, and stop() sending SIGTERM and waiting for the exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

export interface NpmEdge {
  /** The URL of the `ready` line. */
  url: string
  readonly process: ChildProcess
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  stop(): Promise<void>
}

export async function spawnNpmEdge(args: string[], timeoutMs = 60_000): Promise<NpmEdge> {
  const npm = spawn('npm', ['run', '--silent', 'edge', '--', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  npm.stderr!.on('data', (c: Buffer) => (stderr += c))
  const stop = async () => {
    if (npm.exitCode !== null || npm.signalCode !== null) return
    const exited = new Promise((r) => npm.once('exit', r))
    npm.kill('SIGTERM')
    await exited
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      npm.stdout!.on('data', (c: Buffer) => {
        stdout += c
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(stdout)
        if (m) resolve(m[1]!)
      })
      npm.once('exit', (code) => reject(new Error(`npm run edge exited ${code}:\n${stderr}`)))
      setTimeout(() => reject(new Error(`no ready line:\n${stderr}`)), timeoutMs).unref()
    })
    return { url, process: npm, stdout: () => stdout, stderr: () => stderr, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
