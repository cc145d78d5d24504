// `wrangler dev` as a user runs it, for e2e tests: a real process (its own process group, so
// stop() ends workerd with it), resolved once it prints `Ready on URL`, its output kept.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

export interface WranglerDev {
  /** The `Ready on` URL (http or https). */
  url: string
  /** Everything it wrote so far, stdout and stderr. */
  output(): string
  stop(): Promise<void>
}

/** `wrangler dev ARGS... --ip 127.0.0.1 --port 0` in `cwd`, with `env` over this process's (metrics off). */
export async function startWranglerDev(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<WranglerDev> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'dev', ...args, '--ip', '127.0.0.1', '--port', '0'], {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...options.env },
  })
  let output = ''
  const stop = async () => {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    process.kill(-child.pid, 'SIGTERM')
    await exited
  }
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const m = /Ready on (https?:\/\/[\d.]+:\d+)/.exec(output)
        if (m) resolve(m[1]!)
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', () => reject(new Error(`wrangler dev exited:\n${output}`)))
      setTimeout(() => reject(new Error(`wrangler dev not ready:\n${output}`)), options.timeoutMs ?? 90_000).unref()
    })
    return { url, output: () => output, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
