// labelSelector and fieldSelector as the API server applies them to lists and watches. Label
// selectors reuse the compiler's parser (the same grammar Traefik's labelSelector option uses);
// field selectors support `=`, `==` and `!=` on dotted paths (metadata.name, metadata.namespace,
// type...), which covers what real resources allow.
import { parseLabelSelector } from '../../../control-plane/compiler/snapshot/label-selector.ts'
import { StoreError, type Obj } from './store.ts'

export type Selector = (obj: Obj) => boolean

export function selectorOf(params: URLSearchParams): Selector {
  const labels = params.get('labelSelector')
  const fields = params.get('fieldSelector')
  let byLabel: (l: Record<string, string> | undefined) => boolean = () => true
  try {
    if (labels) byLabel = parseLabelSelector(labels)
  } catch (err) {
    throw new StoreError(400, 'BadRequest', `unable to parse requirement: ${(err as Error).message}`)
  }
  const byField = fields ? parseFieldSelector(fields) : () => true
  return (obj) => byLabel(obj.metadata?.labels) && byField(obj)
}

function parseFieldSelector(text: string): Selector {
  const terms = text
    .split(',')
    .filter(Boolean)
    .map((term) => {
      const m = /^([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*)$/.exec(term.trim())
      if (!m) throw new StoreError(400, 'BadRequest', `invalid field selector: ${term}`)
      const [, name, op, value] = m
      // Event's `source` field selector means source.component, as on the real API server.
      const path = name === 'source' ? 'source.component' : name!
      return (obj: Obj) => {
        const actual = String(path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj) ?? '')
        return op === '!=' ? actual !== value : actual === value
      }
    })
  return (obj) => terms.every((t) => t(obj))
}
