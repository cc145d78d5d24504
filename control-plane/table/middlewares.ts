/**
 * Router and service middleware lists: references resolved, chains expanded in place (in order,
 * recursion refused), each middleware reduced to its type and Traefik's configuration of it.
 *
 * @module
 */
import type { Middleware } from '../../shared/dynamic/types.ts'
import { middlewareUnsupported, type EdgeTarget } from '../../shared/table/capabilities.ts'
import type { TableMiddleware } from '../../shared/table/schema.ts'
import { middlewareConfigError } from '../../shared/middlewares/config-error.ts'
import { localKey, unresolved } from './references.ts'

/** `invalid`: middlewares whose configuration the edge refuses to build (it answers 500). */
export type Expanded = { keys: string[]; unimplemented: string[]; invalid: string[] } | { error: string }

export class MiddlewareCompiler {
  readonly middlewares: Record<string, TableMiddleware> = {}
  readonly #config: Record<string, Middleware>
  readonly #target: EdgeTarget | undefined

  constructor(config: Record<string, Middleware> | undefined, target?: EdgeTarget) {
    this.#config = config ?? {}
    this.#target = target
  }

  /** The flat, ordered list a list of references runs, or why it cannot be built. */
  expand(references: string[], stack: string[] = []): Expanded {
    const keys: string[] = []
    const unimplemented: string[] = []
    const invalid: string[] = []
    for (const reference of references) {
      const key = localKey(reference)
      const mw = key === null ? undefined : this.#config[key]
      if (key === null || !mw) return { error: unresolved('middleware', reference) }
      const types = Object.keys(mw).filter((t) => (mw as Record<string, unknown>)[t] !== undefined)
      if (types.length !== 1) return { error: `middleware ${JSON.stringify(key)} must set exactly one type (has ${types.length})` }
      const type = types[0]!
      if (type === 'chain') {
        if (stack.includes(key)) return { error: `chain ${JSON.stringify(key)} includes itself` }
        const inner = this.expand(mw.chain?.middlewares ?? [], [...stack, key])
        if ('error' in inner) return inner
        keys.push(...inner.keys)
        unimplemented.push(...inner.unimplemented)
        invalid.push(...inner.invalid)
        continue
      }
      this.middlewares[key] ??= { type, config: (mw as Record<string, unknown>)[type] }
      const why = middlewareUnsupported(type, this.middlewares[key].config, this.#target)
      if (why !== null) unimplemented.push(`${key} (${why})`)
      const broken = why === null ? middlewareConfigError(type, this.middlewares[key].config) : null
      if (broken !== null) invalid.push(`${key} (${broken})`)
      keys.push(key)
    }
    return { keys, unimplemented, invalid }
  }
}
