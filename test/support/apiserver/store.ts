// The API server's storage: objects per resource type with one global resourceVersion counter (as
// etcd's revision), a bounded history of changes that watches resume from, and compaction, after
// which resuming from an older resourceVersion is answered 410 Gone.
import { randomUUID } from 'node:crypto'
import { apiVersionOf, type ResourceType } from './resources.ts'

export type Obj = Record<string, unknown> & {
  apiVersion?: string
  kind?: string
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> }
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface Change {
  rv: number
  type: ChangeType
  resource: ResourceType
  object: Obj
  /** The object before the change (MODIFIED), so a selective watch can tell leaving from changing. */
  previous?: Obj
}

export class StoreError extends Error {
  readonly code: number
  readonly reason: string
  constructor(code: number, reason: string, message: string) {
    super(message)
    this.code = code
    this.reason = reason
  }
}

const typeKey = (t: ResourceType) => `${t.group}/${t.version}/${t.plural}`

export class ObjectStore {
  #rv = 1
  /** Changes at or below this revision are forgotten. */
  #compactedRv = 0
  readonly #objects = new Map<string, Map<string, Obj>>()
  readonly #history: Change[] = []
  readonly #listeners = new Set<(change: Change) => void>()
  readonly #maxHistory: number

  constructor(maxHistory = 100_000) {
    this.#maxHistory = maxHistory
  }

  get resourceVersion(): number {
    return this.#rv
  }

  get compactedRv(): number {
    return this.#compactedRv
  }

  /** Forgets every change so far: watches and continue tokens from before now get 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv
    this.#history.length = 0
  }

  /** Objects of a type, optionally in one namespace, ordered by namespace/name (as etcd keys). */
  list(type: ResourceType, namespace?: string): Obj[] {
    const all = this.#objects.get(typeKey(type))
    if (all === undefined) return []
    const out: Array<[string, Obj]> = []
    for (const [k, o] of all) if (namespace === undefined || o.metadata?.namespace === namespace) out.push([k, o])
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return out.map(([, o]) => o)
  }

  get(type: ResourceType, namespace: string | undefined, name: string): Obj | undefined {
    return this.#objects.get(typeKey(type))?.get(objectKey(namespace, name))
  }

  /** Changes after `rv`; throws 410 when some of them were compacted away. */
  changesSince(rv: number): Change[] {
    if (rv < this.#compactedRv) throw gone(rv)
    return this.#history.filter((c) => c.rv > rv)
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Sends a change to open watches without storing it: a corrupted or lying watch stream, for
   * tests of what a client does when its cache disagrees with the server.
   */
  emitUnstored(type: ResourceType, change: ChangeType, obj: Obj): void {
    const rv = ++this.#rv
    const entry: Change = { rv, type: change, resource: type, object: { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } } }
    for (const l of this.#listeners) l(entry)
  }

  create(type: ResourceType, namespace: string | undefined, obj: Obj): Obj {
    const meta = { ...(obj.metadata ?? {}) }
    if (!meta.name && typeof meta.generateName === 'string') meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`
    if (!meta.name) throw new StoreError(422, 'Invalid', 'metadata.name: Required value: name or generateName is required')
    if (type.namespaced) meta.namespace = namespace ?? (meta.namespace as string | undefined) ?? 'default'
    else delete meta.namespace
    if (this.get(type, meta.namespace, meta.name)) {
      throw new StoreError(409, 'AlreadyExists', `${type.plural} "${meta.name}" already exists`)
    }
    meta.uid = randomUUID()
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    meta.generation = 1
    return this.#write(type, 'ADDED', { ...obj, apiVersion: apiVersionOf(type), kind: type.kind, metadata: meta })
  }

  /**
   * Replaces an object. A resourceVersion in the new object must be the stored one (optimistic
   * concurrency: 409 Conflict otherwise); none means an unconditional update.
   */
  update(type: ResourceType, namespace: string | undefined, name: string, obj: Obj): Obj {
    const current = this.get(type, namespace, name)
    if (current === undefined) throw notFound(type, name)
    const rv = obj.metadata?.resourceVersion
    if (rv !== undefined && rv !== '' && rv !== current.metadata?.resourceVersion) {
      throw new StoreError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      )
    }
    const old = current.metadata!
    const specChanged = JSON.stringify(obj.spec) !== JSON.stringify(current.spec)
    const meta = {
      ...(obj.metadata ?? {}),
      name,
      ...(type.namespaced ? { namespace: old.namespace } : {}),
      uid: old.uid,
      creationTimestamp: old.creationTimestamp,
      generation: (old.generation as number) + (specChanged ? 1 : 0),
    }
    return this.#write(type, 'MODIFIED', { ...obj, apiVersion: apiVersionOf(type), kind: type.kind, metadata: meta })
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): Obj {
    const current = this.get(type, namespace, name)
    if (current === undefined) throw notFound(type, name)
    return this.#write(type, 'DELETED', current)
  }

  #write(type: ResourceType, change: ChangeType, obj: Obj): Obj {
    const rv = ++this.#rv
    const stored: Obj = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } }
    const key = objectKey(stored.metadata!.namespace, stored.metadata!.name!)
    let objects = this.#objects.get(typeKey(type))
    if (objects === undefined) this.#objects.set(typeKey(type), (objects = new Map()))
    const previous = objects.get(key)
    if (change === 'DELETED') objects.delete(key)
    else objects.set(key, stored)
    const entry: Change = { rv, type: change, resource: type, object: stored, ...(previous && change === 'MODIFIED' ? { previous } : {}) }
    this.#history.push(entry)
    if (this.#history.length > this.#maxHistory) this.#compactedRv = this.#history.splice(0, this.#history.length - this.#maxHistory).at(-1)!.rv
    for (const l of this.#listeners) l(entry)
    return stored
  }
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

export function notFound(type: ResourceType, name: string): StoreError {
  return new StoreError(404, 'NotFound', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`)
}

export function gone(rv: number): StoreError {
  return new StoreError(410, 'Expired', `too old resource version: ${rv}`)
}
