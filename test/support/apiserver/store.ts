// The API server's storage: objects per resource type with one global resourceVersion counter (as
// etcd's revision), a bounded history of changes that watches resume from, and compaction, after
// which resuming from an older resourceVersion is answered 410 Gone. Objects of some types expire
// (Events: the API server's --event-ttl, an etcd lease renewed by every write of the object).
import { randomUUID } from 'node:crypto'
import { apiVersionOf, qualifiedResource, type ResourceType } from './resources.ts'
import type { StatusBody } from './status.ts'

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
  readonly details?: StatusBody['details']
  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message)
    this.code = code
    this.reason = reason
    if (details) this.details = details
  }
}

const typeKey = (t: ResourceType) => t.storage

export class ObjectStore {
  #rv = 1
  /** Changes at or below this revision are forgotten. */
  #compactedRv = 0
  readonly #objects = new Map<string, Map<string, Obj>>()
  readonly #history: Change[] = []
  readonly #listeners = new Set<(change: Change) => void>()
  readonly #maxHistory: number
  /** Expiry time (ms) of objects that have a TTL, by storage key then object key. */
  readonly #expires = new Map<string, Map<string, number>>()
  /** Milliseconds an object of this type lives after its last write; undefined: forever. */
  ttlOf: (type: ResourceType) => number | undefined = () => undefined
  now: () => number = Date.now

  constructor(maxHistory = 100_000) {
    this.#maxHistory = maxHistory
  }

  /** Deletes the objects whose TTL ran out (a watch sees them DELETED, as etcd's lease expiry does). */
  expire(types: (storage: string) => ResourceType | undefined): number {
    const now = this.now()
    let n = 0
    for (const [storage, byKey] of this.#expires) {
      const type = types(storage)
      for (const [key, at] of byKey) {
        if (at > now) continue
        byKey.delete(key)
        const obj = this.#objects.get(storage)?.get(key)
        if (obj && type) {
          this.#write(type, 'DELETED', obj)
          n++
        }
      }
    }
    return n
  }

  /** Every stored object in a namespace, with its type's storage key (a namespace's deletion). */
  inNamespace(namespace: string): Array<[string, Obj]> {
    const out: Array<[string, Obj]> = []
    for (const [storage, objects] of this.#objects) for (const o of objects.values()) if (o.metadata?.namespace === namespace) out.push([storage, o])
    return out
  }

  /** Every object of a storage key (all versions of a CRD's resource, for its deletion). */
  allOf(storage: string): Obj[] {
    return [...(this.#objects.get(storage)?.values() ?? [])]
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

  create(type: ResourceType, namespace: string | undefined, obj: Obj, dryRun = false): Obj {
    const meta = { ...(obj.metadata ?? {}) }
    if (!meta.name && typeof meta.generateName === 'string') meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`
    if (!meta.name) throw new StoreError(422, 'Invalid', 'metadata.name: Required value: name or generateName is required')
    if (type.namespaced) meta.namespace = namespace ?? (meta.namespace as string | undefined) ?? 'default'
    else delete meta.namespace
    if (this.get(type, meta.namespace, meta.name)) {
      throw new StoreError(409, 'AlreadyExists', `${qualifiedResource(type)} "${meta.name}" already exists`, {
        name: meta.name,
        ...(type.group ? { group: type.group } : {}),
        kind: type.plural,
      })
    }
    meta.uid = randomUUID()
    meta.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z')
    meta.generation = 1
    const created = { ...obj, apiVersion: apiVersionOf(type), kind: type.kind, metadata: meta }
    if (dryRun) return created
    return this.#write(type, 'ADDED', created)
  }

  /**
   * Replaces an object. A resourceVersion in the new object must be the stored one (optimistic
   * concurrency: 409 Conflict otherwise); none means an unconditional update.
   */
  update(type: ResourceType, namespace: string | undefined, name: string, obj: Obj, dryRun = false): Obj {
    const current = this.get(type, namespace, name)
    if (current === undefined) throw notFound(type, name)
    const rv = obj.metadata?.resourceVersion
    if (rv !== undefined && rv !== '' && rv !== current.metadata?.resourceVersion) {
      throw new StoreError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, ...(type.group ? { group: type.group } : {}), kind: type.plural },
      )
    }
    const old = current.metadata!
    // generation counts changes of everything but metadata (and status, where that is a subresource).
    const { metadata: _m1, ...after } = obj
    const { metadata: _m2, ...before } = current
    if (type.status) {
      delete after.status
      delete before.status
    }
    const specChanged = JSON.stringify(after) !== JSON.stringify(before)
    const meta = {
      ...(obj.metadata ?? {}),
      name,
      ...(type.namespaced ? { namespace: old.namespace } : {}),
      uid: old.uid,
      creationTimestamp: old.creationTimestamp,
      generation: (old.generation as number) + (specChanged ? 1 : 0),
    }
    const updated = { ...obj, apiVersion: apiVersionOf(type), kind: type.kind, metadata: meta }
    if (dryRun) return { ...updated, metadata: { ...meta, resourceVersion: current.metadata?.resourceVersion } }
    return this.#write(type, 'MODIFIED', updated)
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, dryRun = false): Obj {
    const current = this.get(type, namespace, name)
    if (current === undefined) throw notFound(type, name)
    if (dryRun) return current
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
    const ttl = change === 'DELETED' ? undefined : this.ttlOf(type)
    let expiring = this.#expires.get(typeKey(type))
    if (ttl !== undefined) {
      if (expiring === undefined) this.#expires.set(typeKey(type), (expiring = new Map()))
      expiring.set(key, this.now() + ttl)
    } else expiring?.delete(key)
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
  return new StoreError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, {
    name,
    ...(type.group ? { group: type.group } : {}),
    kind: type.plural,
  })
}

export function gone(rv: number): StoreError {
  return new StoreError(410, 'Expired', `too old resource version: ${rv}`)
}
