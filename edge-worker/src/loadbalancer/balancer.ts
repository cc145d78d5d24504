/**
 * One balancer per service: Traefik's WRR (EDF) over children (a load balancer's servers, or a
 * weighted service's child services), with health status and sticky cookies.
 *
 * - Children with weight <= 0 are left out. A load balancer's servers are shuffled before they
 *   are added (Traefik does it so the rotation does not start on the same server everywhere;
 *   here it also keeps every isolate from starting on the first server).
 * - Sticky: a cookie naming a known child that is up serves that child, fenced or not; a
 *   legacy value does too and is rewritten. Otherwise the next child is picked and the cookie
 *   is set on the response.
 * - Down or fenced children are skipped; with none left the pick is null (the caller answers 503).
 *
 * @module
 */
import type { StickyCookie } from '../../../shared/table/schema.ts'
import { EdfScheduler } from './edf.ts'
import { legacyValues, readCookie, setCookieLine, stickyValue } from './sticky.ts'

export interface BalancerChild<T> {
  /** Server URL, or child service name: what the sticky value is derived from. */
  name: string
  weight: number
  target: T
  up: boolean
  /** Only sticky traffic reaches it. */
  fenced?: boolean
}

export interface Pick<T> {
  target: T
  /** Set-Cookie value to add to the response, when the pick was not sticky (or was legacy). */
  setCookie?: string
}

interface Entry<T> {
  child: BalancerChild<T>
  cookie: string
}

export class Balancer<T> {
  readonly #scheduler = new EdfScheduler<Entry<T>>()
  readonly #sticky: StickyCookie | undefined
  readonly #byCookie = new Map<string, Entry<T>>()
  readonly #byLegacy = new Map<string, Entry<T>>()
  readonly #entries: Array<Entry<T>> = []

  private constructor(sticky: StickyCookie | undefined) {
    this.#sticky = sticky
  }

  static async create<T>(
    children: Array<BalancerChild<T>>,
    options: { sticky?: StickyCookie; shuffle?: boolean; random?: () => number } = {},
  ): Promise<Balancer<T>> {
    const b = new Balancer<T>(options.sticky)
    const ordered = options.shuffle ? shuffled(children, options.random ?? Math.random) : children
    for (const child of ordered) {
      const entry: Entry<T> = { child, cookie: options.sticky ? await stickyValue(child.name) : '' }
      if (!b.#scheduler.add(entry, child.weight)) continue
      b.#entries.push(entry)
      if (options.sticky) {
        b.#byCookie.set(entry.cookie, entry)
        for (const legacy of legacyValues(child.name)) b.#byLegacy.set(legacy, entry)
      }
    }
    return b
  }

  /** Traefik's balancer status: up while any child is. */
  get up(): boolean {
    return this.#entries.some((e) => e.child.up)
  }

  pick(cookieHeader: string | null): Pick<T> | null {
    const sticky = this.#sticky
    if (sticky) {
      const value = readCookie(cookieHeader, sticky.name)
      if (value !== null) {
        const current = this.#byCookie.get(value)
        if (current?.child.up) return { target: current.child.target }
        const legacy = current ? undefined : this.#byLegacy.get(value)
        if (legacy?.child.up) return { target: legacy.child.target, setCookie: setCookieLine(sticky, legacy.cookie) }
      }
    }
    const entry = this.#scheduler.next(eligible)
    if (!entry) return null
    return sticky ? { target: entry.child.target, setCookie: setCookieLine(sticky, entry.cookie) } : { target: entry.child.target }
  }
}

function eligible<T>(e: Entry<T>): boolean {
  return e.child.up && !e.child.fenced
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}
