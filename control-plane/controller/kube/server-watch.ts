// client-node's Watch, asking for what client-go's reflector asks for: bookmarks
// (allowWatchBookmarks, so a quiet kind still learns the current resourceVersion and resumes from
// it instead of relisting after compaction) and a server-side timeoutSeconds drawn in [5, 10) min
// (so the API server spreads watch restarts instead of cutting them all at once). Its own
// inactivity timeout is longer than the API server's bookmark period (about a minute), so a quiet
// but healthy watch is not re-opened every 30 s; a dead connection is still noticed.
import type { KubeConfig } from '@kubernetes/client-node'
import { Watch } from './client-node/load.ts'

export interface ServerWatchOptions {
  /** Seconds the API server keeps one watch open. Default random in [300, 600), as client-go. */
  timeoutSeconds?: () => number
  /** Re-open a watch that sent nothing (no event, no bookmark) for this long. Default 120 s. */
  idleTimeoutMs?: number
  /** Every event received, bookmarks included (the watch works). */
  onEvent?: () => void
  /** How the watch ended (null: cleanly). */
  onDone?: (err: unknown) => void
}

export const MIN_WATCH_TIMEOUT_S = 300

export class ServerWatch extends Watch {
  readonly #o: ServerWatchOptions

  constructor(kc: KubeConfig, options: ServerWatchOptions = {}) {
    super(kc)
    this.#o = options
    // Private in client-node's typings, public at run time (its own tests set it).
    ;(this as unknown as { requestTimeoutMs: number }).requestTimeoutMs = options.idleTimeoutMs ?? 120_000
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const timeoutSeconds = this.#o.timeoutSeconds?.() ?? Math.floor(MIN_WATCH_TIMEOUT_S * (1 + Math.random()))
    return super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds },
      (phase, obj, raw) => {
        this.#o.onEvent?.()
        callback(phase, obj, raw)
      },
      (err) => {
        this.#o.onDone?.(err)
        done(err)
      },
    )
  }
}
