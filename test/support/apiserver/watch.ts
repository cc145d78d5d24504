// GET ...?watch=1: a chunked stream of JSON lines ({type, object}). From resourceVersion "" or "0"
// the current objects come first as ADDED; from a given one, the changes after it (410 Gone as an
// ERROR event when they were compacted). Objects that stop or start matching the selectors are
// sent as DELETED or ADDED, as the real API server does. BOOKMARK events carry the current
// resourceVersion when the client allows them; timeoutSeconds ends the stream cleanly. Returns
// null when the stream already ended (410).
import type { ServerResponse } from 'node:http'
import { apiVersionOf, type Target } from './resources.ts'
import type { Selector } from './selectors.ts'
import { status } from './status.ts'
import { gone, StoreError, type Change, type Obj, type ObjectStore } from './store.ts'

export interface WatchOptions {
  bookmarkIntervalMs: number
  /** The object as the watched version shows it (events.k8s.io Events). */
  view?: (o: Obj) => Obj
  /** Ends the watch cleanly after this long (a busy API server's churn). */
  lifetimeMs?: number
  /** Answer 410 Gone (as an ERROR event) instead of resuming from the asked resourceVersion. */
  gone?: boolean
}

export interface OpenWatch {
  /** Ends the stream: cleanly (the client sees the response end) or by resetting the connection. */
  close(how: 'end' | 'reset'): void
}

export function serveWatch(
  store: ObjectStore,
  target: Target,
  params: URLSearchParams,
  matches: Selector,
  res: ServerResponse,
  options: WatchOptions,
  onClose: () => void,
): OpenWatch | null {
  const inScope = (o: Obj) =>
    (target.namespace === undefined || o.metadata?.namespace === target.namespace) && (target.name === undefined || o.metadata?.name === target.name)
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
  res.flushHeaders()
  const view = options.view ?? ((o: Obj) => o)
  const send = (type: string, object: unknown) =>
    res.write(`${JSON.stringify({ type, object: type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' ? view(object as Obj) : object })}\n`)

  let lastSent = 0
  const deliver = (c: Change) => {
    if (c.rv <= lastSent || c.resource.storage !== target.type.storage) return
    lastSent = c.rv
    const now = inScope(c.object) && matches(c.object)
    const before = c.previous !== undefined && inScope(c.previous) && matches(c.previous)
    if (c.type === 'MODIFIED') {
      if (now) send(before ? 'MODIFIED' : 'ADDED', c.object)
      else if (before) send('DELETED', c.object)
    } else if (now) send(c.type, c.object)
  }
  // Subscribe before replaying, so nothing written meanwhile is missed (deliver skips repeats).
  const buffered: Change[] = []
  let replaying = true
  const unsubscribe = store.subscribe((c) => (replaying ? buffered.push(c) : deliver(c)))

  const asked = params.get('resourceVersion') ?? ''
  try {
    if (asked === '' || asked === '0') {
      for (const o of store.list(target.type, target.namespace)) if (inScope(o) && matches(o)) send('ADDED', o)
      lastSent = store.resourceVersion
    } else {
      const from = Number(asked)
      if (options.gone) throw gone(from)
      lastSent = from
      for (const c of store.changesSince(from)) deliver(c)
    }
  } catch (err) {
    if (!(err instanceof StoreError)) throw err
    send('ERROR', status(err.code, err.reason, err.message))
    unsubscribe()
    res.end()
    return null
  }
  replaying = false
  for (const c of buffered.splice(0)) deliver(c)

  const bookmarks = params.get('allowWatchBookmarks') === 'true' || params.get('allowWatchBookmarks') === '1'
  const bookmarkTimer = bookmarks
    ? setInterval(() => {
        lastSent = Math.max(lastSent, store.resourceVersion)
        send('BOOKMARK', { kind: target.type.kind, apiVersion: apiVersionOf(target.type), metadata: { resourceVersion: String(lastSent) } })
      }, options.bookmarkIntervalMs)
    : undefined
  const timeout = Number(params.get('timeoutSeconds') ?? 0) * 1000
  const ends = [timeout, options.lifetimeMs ?? 0].filter((ms) => ms > 0)
  const timeoutTimer = ends.length ? setTimeout(() => close('end'), Math.min(...ends)) : undefined

  let closed = false
  const close = (how: 'end' | 'reset') => {
    if (closed) return
    closed = true
    unsubscribe()
    clearInterval(bookmarkTimer)
    clearTimeout(timeoutTimer)
    if (how === 'end') res.end()
    else res.socket?.destroy()
    onClose()
  }
  res.on('close', () => close('end'))
  return { close }
}
