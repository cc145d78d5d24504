// Keeps a running edge until SIGINT or SIGTERM (or until workerd dies), then stops everything it
// started. Resolves with the process exit code. It takes the signals over: wrangler's own handlers
// (installed by getPlatformProxy) would call process.exit before the children are stopped.
export function onShutdown(running: { exited: Promise<number | null>; stop(): Promise<void> }, report: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = (code: number) => {
      if (stopping) return
      stopping = true
      running.stop().then(
        () => resolve(code),
        (err: unknown) => {
          report(`while stopping: ${(err as Error).message}`)
          resolve(1)
        },
      )
    }
    // Stays installed while stopping: a second signal (a supervisor signalling every process of the
    // tree, an impatient Ctrl-C) would otherwise kill node by default and orphan workerd.
    const onSignal = () => stop(0)
    process.removeAllListeners('SIGINT')
    process.removeAllListeners('SIGTERM')
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    void running.exited.then((code) => {
      if (stopping) return
      report(`workerd exited unexpectedly (${code})`)
      stop(1)
    })
  })
}
