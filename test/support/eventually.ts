// Polls until a check passes (bounded): for state that converges asynchronously, like an edge
// picking up a table the control plane published after a cluster change.

export async function eventually<T>(check: () => Promise<T> | T, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  let last: unknown
  for (;;) {
    try {
      return await check()
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.what ?? 'condition'} not reached within ${options.timeoutMs ?? 10_000} ms: ${(last as Error)?.message ?? last}`)
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50))
  }
}
