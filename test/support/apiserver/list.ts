// GET on a collection: the matching objects with the list's resourceVersion, in pages of `limit`
// with an opaque `continue` token. A token whose revision was compacted is answered 410 Gone, as
// the real API server does; a page is read from the current state (a simplification: etcd would
// serve the token's revision).
import type { Target } from './resources.ts'
import { apiVersionOf } from './resources.ts'
import type { Selector } from './selectors.ts'
import { gone, StoreError, type Obj, type ObjectStore } from './store.ts'

interface ContinueToken {
  rv: number
  /** namespace/name of the last object of the previous page. */
  after: string
}

export function listObjects(store: ObjectStore, target: Target, params: URLSearchParams, matches: Selector, view: (o: Obj) => Obj = (o) => o): Obj {
  const limit = Number(params.get('limit') ?? 0)
  const token = params.get('continue')
  let rv = store.resourceVersion
  let after = ''
  if (token) {
    const parsed = decodeToken(token)
    if (parsed.rv < store.compactedRv) {
      throw new StoreError(
        410,
        'Expired',
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
      )
    }
    rv = parsed.rv
    after = parsed.after
  } else {
    const asked = params.get('resourceVersion')
    if (asked && asked !== '0') {
      const n = Number(asked)
      if (n > store.resourceVersion) throw new StoreError(504, 'Timeout', `Too large resource version: ${n}, current: ${store.resourceVersion}`)
      if (params.get('resourceVersionMatch') === 'Exact' && n < store.compactedRv) throw gone(n)
    }
  }
  const all = store.list(target.type, target.namespace).filter(matches)
  const rest = after === '' ? all : all.filter((o) => keyOf(o) > after)
  const page = limit > 0 ? rest.slice(0, limit) : rest
  const more = page.length < rest.length
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) }
  if (more) {
    metadata.continue = encodeToken({ rv, after: keyOf(page.at(-1)!) })
    metadata.remainingItemCount = rest.length - page.length
  }
  return { kind: target.type.listKind, apiVersion: apiVersionOf(target.type), metadata, items: page.map(view) }
}

function keyOf(o: Obj): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`
}

function encodeToken(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url')
}

function decodeToken(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString()) as ContinueToken
    if (typeof t.rv === 'number' && typeof t.after === 'string') return t
  } catch {
    // fall through
  }
  throw new StoreError(400, 'BadRequest', 'continue key is not valid')
}
