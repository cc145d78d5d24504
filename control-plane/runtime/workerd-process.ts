// Runs `workerd serve` as a child process: waits until every socket listens (workerd reports the
// bound ports on its control fd), forwards its stderr, and stops it for good (SIGTERM, then
// SIGKILL) so no process outlives the caller.
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import type { Readable } from 'node:stream'

export interface WorkerdProcess {
  /** Socket name -> bound port. */
  readonly ports: ReadonlyMap<string, number>
  readonly pid: number
  /** Resolves with the exit code once workerd has exited (for whatever reason). */
  readonly exited: Promise<number | null>
  stop(): Promise<void>
}

export interface StartWorkerdOptions {
  configPath: string
  /** Socket names to wait for. */
  sockets: string[]
  /** Where workerd's stderr/stdout lines go. Default: this process's stderr. */
  log?: (line: string) => void
  timeoutMs?: number
}

export function workerdBinary(): string {
  return (createRequire(import.meta.url)('workerd') as { default: string }).default
}

export async function startWorkerd(options: StartWorkerdOptions): Promise<WorkerdProcess> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'))
  // WORKERD_INSPECTOR_ADDR (host:port) opens the V8 inspector, for CPU profiles (bench/proxy/profile.ts).
  const inspector = process.env.WORKERD_INSPECTOR_ADDR ? [`--inspector-addr=${process.env.WORKERD_INSPECTOR_ADDR}`] : []
  const child = spawn(workerdBinary(), ['serve', options.configPath, '--control-fd=3', ...inspector], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  // Whatever ends this process (a library calling process.exit included), workerd goes with it.
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit)
      resolve(code)
    }),
  )
  forwardLines(child.stdout!, log)
  const stderrTail: string[] = []
  forwardLines(child.stderr!, (line) => {
    stderrTail.push(line)
    if (stderrTail.length > 20) stderrTail.shift()
    log(line)
  })

  const ports = new Map<string, number>()
  const listening = new Promise<void>((resolve, reject) => {
    forwardLines(child.stdio[3] as Readable, (line) => {
      const event = JSON.parse(line) as { event?: string; socket?: string; port?: number }
      if (event.event === 'listen' && event.socket && event.port) ports.set(event.socket, event.port)
      if (options.sockets.every((s) => ports.has(s))) resolve()
    })
    exited.then((code) => reject(new Error(`workerd exited (${code}) before listening:\n${stderrTail.join('\n')}`)))
    setTimeout(() => reject(new Error(`workerd did not listen within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000).unref()
  })
  const handle: WorkerdProcess = {
    ports,
    pid: child.pid!,
    exited,
    stop: () => stopChild(child, exited),
  }
  try {
    await listening
  } catch (err) {
    await handle.stop()
    throw err
  }
  return handle
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

function forwardLines(stream: Readable, onLine: (line: string) => void): void {
  let buffer = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line) onLine(line)
    }
  })
}
