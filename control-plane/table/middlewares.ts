/**
 * Router and service middleware lists: references resolved, chains expanded in place (in order,
 * recursion refused), each middleware reduced to its type and Traefik's configuration of it.
 * A middleware that cannot be built is reported on itself too, as Traefik's runtime marks it.
 *
 * @module
 */
import type { Middleware } from '../../shared/dynamic/types.ts'
import { middlewareUnsupported, type EdgeTarget } from '../../shared/table/capabilities.ts'
import type { TableMiddleware } from '../../shared/table/schema.ts'
import { middlewareConfigError } from '../../shared/middlewares/config-error.ts'
import type { EdgeDiagnostic } from './diagnostics.ts'
import { localKey, qualify, unresolved } from './references.ts'

/**
 * `invalid`: middlewares whose configuration the edge refuses to build (it answers 500).
 * `index`: which of the references given failed (or holds the failing one, for chains).
 */
export type Expanded = { keys: string[]; unimplemented: string[]; invalid: string[] } | { error: string; index?: number }

/**
 * The largest middleware configuration published (its JSON): a value in Workers KV takes at most
 * 25 MiB, a host's routes share one, and a Kubernetes object is at most about 1.5 MiB anyway, so
 * only hand-written manifests reach it. A larger one is left out (its routes answer 500) rather
 * than failing the whole publish.
 */
export const MAX_MIDDLEWARE_BYTES = 4 * 1024 * 1024

/**
 * The most middlewares one router (or service) runs once chains are expanded. Each is a call
 * deeper on the request's stack: 5,000 overflowed it on workerd (3,000 did not). Traefik has no
 * such bound; a longer list is refused when the table is built rather than on every request.
 * Chains that name each other several times multiply, so the count is taken before expanding.
 */
export const MAX_ROUTER_MIDDLEWARES = 1000

export class MiddlewareCompiler {
  readonly middlewares: Record<string, TableMiddleware> = {}
  /** Middlewares left out for their size, with it (bytes of their configuration's JSON). */
  readonly oversize = new Map<string, number>()
  /**
   * What the expansions found wrong with each middleware, once per message: the caller reports them
   * on the middlewares (buildEdgeTable: after everything, so that they do not depend on which
   * router or service came across them first).
   */
  readonly reports = new Map<string, EdgeDiagnostic[]>()
  /** Every key an expansion looked up, found or not (what its result depends on). */
  readonly read = new Set<string>()
  readonly #config: Record<string, Middleware>
  readonly #target: EdgeTarget | undefined

  constructor(config: Record<string, Middleware> | undefined, target?: EdgeTarget) {
    this.#config = config ?? {}
    this.#target = target
  }

  /** The flat, ordered list a list of references runs, or why it cannot be built. */
  expand(references: string[], stack: string[] = []): Expanded {
    if (stack.length === 0) {
      const n = this.#count(references, [], new Map())
      if (n > MAX_ROUTER_MIDDLEWARES)
        return { error: `${n} middlewares once chains are expanded, more than the ${MAX_ROUTER_MIDDLEWARES} the edge runs for one router` }
    }
    const keys: string[] = []
    const unimplemented: string[] = []
    const invalid: string[] = []
    for (const [index, reference] of references.entries()) {
      const key = localKey(reference)
      if (key !== null) this.read.add(key)
      const mw = key === null ? undefined : this.#config[key]
      if (key === null || !mw) return { error: unresolved('middleware', reference), index }
      const types = Object.keys(mw).filter((t) => (mw as Record<string, unknown>)[t] !== undefined)
      if (types.length !== 1) {
        return this.#broken(
          key,
          index,
          types.length === 0
            ? `invalid middleware ${JSON.stringify(qualify(key))} configuration: invalid middleware type or middleware does not exist`
            : 'cannot create middleware: multi-types middleware not supported, consider declaring two different pieces of middleware instead',
        )
      }
      const type = types[0]!
      if (type === 'chain') {
        if (stack.includes(key)) {
          const path = [...stack, key].map((k) => `middleware:${qualify(k)}`).join('->')
          return this.#broken(key, index, `could not instantiate middleware ${qualify(key)}: recursion detected in ${path}`)
        }
        const inner = this.expand(mw.chain?.middlewares ?? [], [...stack, key])
        if ('error' in inner) return this.#broken(key, index, inner.error)
        keys.push(...inner.keys)
        unimplemented.push(...inner.unimplemented)
        invalid.push(...inner.invalid)
        continue
      }
      if (!(key in this.middlewares)) {
        const config = (mw as Record<string, unknown>)[type]
        const bytes = jsonBytes(config)
        if (bytes > MAX_MIDDLEWARE_BYTES) this.oversize.set(key, bytes)
        // Left out of the table: its routes carry the error and never build it.
        this.middlewares[key] = { type, config: bytes > MAX_MIDDLEWARE_BYTES ? null : config }
      }
      const size = this.oversize.get(key)
      if (size !== undefined) {
        invalid.push(`${key} (its configuration takes ${mib(size)}, more than the edge publishes)`)
        keys.push(key)
        continue
      }
      const { config } = this.middlewares[key]!
      const why = middlewareUnsupported(type, config, this.#target)
      if (why !== null) {
        unimplemented.push(`${key} (${why})`)
        this.#report(key, type, `the edge cannot run this middleware: ${why}`)
      }
      const broken = why === null ? middlewareConfigError(type, config) : null
      if (broken !== null) {
        invalid.push(`${key} (${broken})`)
        this.#report(key, type, broken)
      }
      keys.push(key)
    }
    return { keys, unimplemented, invalid }
  }

  /** A middleware that cannot be built: reported on it, and the error goes to its user. */
  #broken(key: string, index: number, message: string): { error: string; index: number } {
    this.#report(key, '', message)
    return { error: message, index }
  }

  #report(key: string, field: string, message: string): void {
    const list = this.reports.get(key)
    if (list?.some((d) => d.message === message)) return
    const d: EdgeDiagnostic = { kind: 'middleware', name: key, field, message, severity: 'error' }
    if (list) list.push(d)
    else this.reports.set(key, [d])
  }

  /** How many middlewares `references` expand to (each chain counted once: memo); 0 where expand reports an error. */
  #count(references: string[], stack: string[], memo: Map<string, number>): number {
    let n = 0
    for (const reference of references) {
      const key = localKey(reference)
      if (key !== null) this.read.add(key)
      const mw = key === null ? undefined : this.#config[key]
      const inner = mw?.chain?.middlewares
      if (key === null || !mw || inner === undefined) {
        n += 1
        continue
      }
      if (stack.includes(key)) return 0
      let c = memo.get(key)
      if (c === undefined) memo.set(key, (c = this.#count(inner, [...stack, key], memo)))
      n += c
    }
    return n
  }
}

/** UTF-8 bytes of a value's JSON. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value) ?? ''
  // At most 3 bytes per UTF-16 unit: small ones need no encoding to tell.
  return text.length * 3 <= MAX_MIDDLEWARE_BYTES ? text.length : new TextEncoder().encode(text).length
}

export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
}
