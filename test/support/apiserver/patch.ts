// PATCH bodies as the API server applies them: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// and strategic merge patch, which kubectl sends for built-in kinds: a merge patch whose lists of
// objects merge by their patch merge key (containers by name, ports by port...) and whose
// directives ($patch, $setElementOrder, $retainKeys, $deleteFromPrimitiveList) say what a plain
// merge cannot. Merge keys come from the Kubernetes API's patchMergeKey tags for the fields the
// kinds served here have; a list without one is replaced, as in a merge patch.
import { StoreError } from './store.ts'

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/** Field name -> merge key, for lists of objects (k8s.io/api patchMergeKey tags). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  tolerations: 'key',
  topologySpreadConstraints: 'topologyKey',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  secrets: 'name',
  addresses: 'type',
}

/** Port lists merge by their number field: a Service's `port`, a container's `containerPort`. */
function mergeKeyOf(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isMap)
    if (first && 'containerPort' in first) return 'containerPort'
    if (first && 'port' in first) return 'port'
    return undefined
  }
  return MERGE_KEYS[field]
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return patch
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch
    return rest
  }
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {}
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue
    if (v === null) {
      delete out[k]
      continue
    }
    const current = out[k]
    if (Array.isArray(v)) {
      const key = mergeKeyOf(k, [...v, ...(Array.isArray(current) ? current : [])])
      const order = patch[`$setElementOrder/${k}`] as unknown[] | undefined
      out[k] = key && Array.isArray(current) ? mergeList(current, v, key, order) : v.filter((x) => !(isMap(x) && x.$patch === 'delete'))
      continue
    }
    const merged = strategicMergePatch(current, v)
    if (merged === undefined) delete out[k]
    else out[k] = merged
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$deleteFromPrimitiveList/') || !Array.isArray(v)) continue
    const field = k.slice('$deleteFromPrimitiveList/'.length)
    if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x))
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k]
  return out
}

function mergeList(current: unknown[], patch: unknown[], key: string, order: unknown[] | undefined): unknown[] {
  const out = [...current]
  for (const item of patch) {
    if (!isMap(item)) continue
    const at = out.findIndex((x) => isMap(x) && x[key] === item[key])
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1)
      continue
    }
    if (at >= 0) out[at] = strategicMergePatch(out[at], item)
    else out.push(strategicMergePatch(undefined, item))
  }
  if (order === undefined) return out
  const rank = (x: unknown) => {
    const i = order.findIndex((o) => isMap(o) && isMap(x) && o[key] === x[key])
    return i < 0 ? order.length : i
  }
  return out
    .map((x, i) => [x, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([x]) => x)
}

/** RFC 6902 JSON patch. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new StoreError(400, 'BadRequest', 'json patch must be a list of operations')
  let doc = structuredClone(target)
  for (const op of ops as Array<{ op: string; path: string; value?: unknown; from?: string }>) {
    const get = (p: string) => pointer(p).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], doc)
    switch (op.op) {
      case 'add':
      case 'replace':
        doc = put(doc, pointer(op.path), op.value, op.op === 'add')
        break
      case 'remove':
        doc = put(doc, pointer(op.path), undefined, false)
        break
      case 'copy':
        doc = put(doc, pointer(op.path), structuredClone(get(op.from ?? '')), true)
        break
      case 'move': {
        const v = get(op.from ?? '')
        doc = put(doc, pointer(op.from ?? ''), undefined, false)
        doc = put(doc, pointer(op.path), v, true)
        break
      }
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value))
          throw new StoreError(422, 'Invalid', `the server rejected our request due to an error in our request: testing value ${op.path} failed`)
        break
      default:
        throw new StoreError(400, 'BadRequest', `Unexpected kind: ${op.op}`)
    }
  }
  return doc
}

function pointer(p: string): string[] {
  if (p === '') return []
  return p
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function put(doc: unknown, path: string[], value: unknown, insert: boolean): unknown {
  if (path.length === 0) return value
  const [head, ...rest] = path as [string, ...string[]]
  if (Array.isArray(doc)) {
    const copy = [...doc]
    const i = head === '-' ? copy.length : Number(head)
    if (rest.length > 0) copy[i] = put(copy[i], rest, value, insert)
    else if (value === undefined) copy.splice(i, 1)
    else if (insert) copy.splice(i, 0, value)
    else copy[i] = value
    return copy
  }
  if (!isMap(doc))
    throw new StoreError(422, 'Invalid', `the server rejected our request due to an error in our request: path /${path.join('/')} does not exist`)
  const copy = { ...doc }
  if (rest.length > 0) copy[head] = put(copy[head], rest, value, insert)
  else if (value === undefined) delete copy[head]
  else copy[head] = value
  return copy
}
