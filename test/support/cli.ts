// Runs a command-line entry (a .ts file) as users run it: a real process, on this Node.
import { spawn } from 'node:child_process'

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export function runCli(script: string, args: readonly string[]): Promise<CliRun> {
  return runCommand([process.execPath, script, ...args])
}

/** Any command line (`npm run -s compile -- ...`), its output collected. */
export function runCommand(argv: readonly string[], cwd?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
