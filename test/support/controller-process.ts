// `npm run controller` as a real process for e2e tests: spawned with flags and environment,
// resolved once it prints `ready OPS_URL`, its stderr kept line by line; stop() sends SIGTERM
// and waits for the exit.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

export interface ControllerProcess {
  readonly proc: ChildProcess
  readonly opsUrl: string
  readonly stderr: string[]
  stop(): Promise<void>
}

export function startControllerProcess(args: string[], env: Record<string, string> = {}): Promise<ControllerProcess> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'control-plane/cli/controller.ts'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  createInterface(proc.stderr!).on('line', (l) => stderr.push(l))
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise((res) => {
      proc.once('exit', res)
      proc.kill('SIGTERM')
    })
  }
  return new Promise((resolve, reject) => {
    createInterface(proc.stdout!).on('line', (l) => {
      const m = /^ready (\S+)/.exec(l)
      if (m) resolve({ proc, opsUrl: m[1]!, stderr, stop })
    })
    proc.on('exit', (code) => reject(new Error(`controller exited ${code}: ${stderr.join('\n')}`)))
  })
}
