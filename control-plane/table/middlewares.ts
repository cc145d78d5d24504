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
import type { EdgeDiagnostics } from './diagnostics.ts'
import { localKey, qualify, unresolved } from './references.ts'

/**
 * `invalid`: middlewares whose configuration the edge refuses to build (it answers 500).
 * `index`: which of the references given failed (or holds the failing one, for chains).
 */
export type Expanded = { keys: string[]; unimplemented: string[]; invalid: string[] } | { error: string; index: number }

export class MiddlewareCompiler {
  readonly middlewares: Record<string, TableMiddleware> = {}
  readonly #config: Record<string, Middleware>
  readonly #target: EdgeTarget | undefined
  readonly #d: EdgeDiagnostics | undefined
  readonly #reported = new Set<string>()

  constructor(config: Record<string, Middleware> | undefined, target?: EdgeTarget, diagnostics?: EdgeDiagnostics) {
    this.#config = config ?? {}
    this.#target = target
    this.#d = diagnostics
  }

  /** The flat, ordered list a list of references runs, or why it cannot be built. */
  expand(references: string[], stack: string[] = []): Expanded {
    const keys: string[] = []
    const unimplemented: string[] = []
    const invalid: string[] = []
    for (const [index, reference] of references.entries()) {
      const key = localKey(reference)
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
      this.middlewares[key] ??= { type, config: (mw as Record<string, unknown>)[type] }
      const why = middlewareUnsupported(type, this.middlewares[key].config, this.#target)
      if (why !== null) {
        unimplemented.push(`${key} (${why})`)
        this.#report(key, type, `the edge cannot run this middleware: ${why}`)
      }
      const broken = why === null ? middlewareConfigError(type, this.middlewares[key].config) : null
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
    const id = `${key}\0${message}`
    if (!this.#d || this.#reported.has(id)) return
    this.#reported.add(id)
    this.#d.error('middleware', key, field, message)
  }
}
