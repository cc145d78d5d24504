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
 * - A load balancer's `strategy` (p2c, hrw, leasttime: ./strategies.ts) replaces WRR for
 *   non-sticky picks; p2c and leasttime learn from the load the caller reports (Pick.load).
 *
 * @module
 */
import type { StickyCookie } from '../../../shared/table/schema.ts'
import { EdfScheduler } from './edf.ts'
import { hrw, leastTime, newLoad, p2c, type Load, type Strategy } from './strategies.ts'
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
  /** The server's load, for the caller to count the request in and time its answer (p2c, leasttime). */
  load?: Load
}

interface Entry<T> {
  child: BalancerChild<T>
  cookie: string
  // The strategies' view of it.
  name: string
  weight: number
  load: Load
}

export class Balancer<T> {
  readonly #scheduler = new EdfScheduler<Entry<T>>()
  readonly #sticky: StickyCookie | undefined
  readonly #byCookie = new Map<string, Entry<T>>()
  readonly #byLegacy = new Map<string, Entry<T>>()
  readonly #entries: Array<Entry<T>> = []
  readonly #strategy: Strategy | undefined
  readonly #random: () => number
  #turn = 0

  private constructor(sticky: StickyCookie | undefined, strategy: Strategy | undefined, random: () => number) {
    this.#sticky = sticky
    this.#strategy = strategy
    this.#random = random
  }

  static async create<T>(
    children: Array<BalancerChild<T>>,
    options: { sticky?: StickyCookie; shuffle?: boolean; random?: () => number; strategy?: Strategy } = {},
  ): Promise<Balancer<T>> {
    const random = options.random ?? Math.random
    const b = new Balancer<T>(options.sticky, options.strategy, random)
    const ordered = options.shuffle ? shuffled(children, random) : children
    for (const child of ordered) {
      const entry: Entry<T> = { child, cookie: options.sticky ? await stickyValue(child.name) : '', name: child.name, weight: child.weight, load: newLoad() }
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

  /** Whether picks read a sticky cookie (callers skip reading the Cookie header otherwise). */
  get sticky(): boolean {
    return this.#sticky !== undefined
  }

  pick(cookieHeader: string | null, clientIp = ''): Pick<T> | null {
    const sticky = this.#sticky
    if (sticky) {
      const value = readCookie(cookieHeader, sticky.name)
      if (value !== null) {
        const current = this.#byCookie.get(value)
        if (current?.child.up) return this.#tracked({ target: current.child.target }, current)
        const legacy = current ? undefined : this.#byLegacy.get(value)
        if (legacy?.child.up) return this.#tracked({ target: legacy.child.target, setCookie: setCookieLine(sticky, legacy.cookie) }, legacy)
      }
    }
    const entry = this.#strategy === undefined ? this.#scheduler.next(eligible) : this.#byStrategy(this.#strategy, clientIp)
    if (!entry) return null
    return this.#tracked(sticky ? { target: entry.child.target, setCookie: setCookieLine(sticky, entry.cookie) } : { target: entry.child.target }, entry)
  }

  #byStrategy(strategy: Strategy, clientIp: string): Entry<T> | null {
    const candidates = this.#entries.filter(eligible)
    if (strategy === 'p2c') return p2c(candidates, this.#random)
    if (strategy === 'hrw') return hrw(candidates, clientIp)
    return leastTime(candidates, this.#turn++)
  }

  #tracked(pick: Pick<T>, entry: Entry<T>): Pick<T> {
    if (this.#strategy === 'p2c' || this.#strategy === 'leasttime') pick.load = entry.load
    return pick
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
