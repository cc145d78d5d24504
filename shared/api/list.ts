/**
 * What Traefik's list endpoints take from the query (pkg/api criterion.go, sort.go): `search`,
 * `status`, `serviceName`, `middlewareName` filters, `sortBy`/`direction`, and `page`/`per_page`
 * pagination whose next page goes in `X-Next-Page`.
 *
 * @module
 */
import { byteOrder } from './runtime.ts'

export const NEXT_PAGE_HEADER = 'X-Next-Page'
const DEFAULT_PER_PAGE = 100
const DEFAULT_PAGE = 1

export interface Criterion {
  search: string
  status: string
  serviceName: string
  middlewareName: string
}

/** The filters of a query, or null when it sets none. */
export function searchCriterion(query: URLSearchParams): Criterion | null {
  const get = (k: string) => query.get(k) ?? ''
  const c = { search: get('search'), status: get('status'), serviceName: get('serviceName'), middlewareName: get('middlewareName') }
  return c.search === '' && c.status === '' && c.serviceName === '' && c.middlewareName === '' ? null : c
}

export function withStatus(c: Criterion, status: string | undefined): boolean {
  return c.status === '' || (status ?? '').toLowerCase() === c.status.toLowerCase()
}

/** Case-insensitive substring of any of `values`. */
export function searchIn(c: Criterion, ...values: Array<string | undefined>): boolean {
  if (c.search === '') return true
  const needle = c.search.toLowerCase()
  return values.some((v) => (v ?? '').toLowerCase().includes(needle))
}

/** A qualified service name must match exactly; an unqualified one matches the criterion's name part. */
export function filterService(c: Criterion, name: string | undefined): boolean {
  if (c.serviceName === '') return true
  const n = name ?? ''
  return n.includes('@') ? c.serviceName === n : c.serviceName.split('@')[0] === n
}

export function filterMiddleware(c: Criterion, names: string[] | undefined): boolean {
  return c.middlewareName === '' || (names ?? []).includes(c.middlewareName)
}

export interface Page {
  start: number
  end: number
  next: number
}

/** The slice of `total` items a query asks for; throws the message Traefik answers 400 with. */
export function pagination(query: URLSearchParams, total: number): Page {
  const perPage = intParam(query, 'per_page', DEFAULT_PER_PAGE)
  const page = intParam(query, 'page', DEFAULT_PAGE)
  const start = (page - 1) * perPage
  if (start !== 0 && start >= total) throw new Error(`invalid request: page: ${page}, per_page: ${perPage}`)
  return { start, end: Math.min(start + perPage, total), next: page * perPage < total ? page + 1 : 1 }
}

function intParam(query: URLSearchParams, key: string, fallback: number): number {
  const raw = query.get(key) ?? ''
  if (raw === '') return fallback
  // strconv.Atoi: optional sign and decimal digits; Traefik reports 0 for what does not parse.
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : 0
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`invalid request: ${key}: ${Number.isSafeInteger(value) ? value : 0}`)
  return value
}

/** Sort keys per list, as sortBy names them; `name` always breaks ties. */
export type SortKeys<T> = Record<string, (item: T) => string | number>

/** Sorts by `sortBy` (default and unknown: name), ascending unless `direction=desc`, ties by name. */
export function sortItems<T extends { name: string }>(query: URLSearchParams, items: T[], keys: SortKeys<T>): void {
  const desc = (query.get('direction') || 'asc') !== 'asc'
  const key = keys[query.get('sortBy') ?? ''] ?? ((i: T) => i.name)
  const cmp = (a: string | number, b: string | number) => (typeof a === 'number' && typeof b === 'number' ? a - b : byteOrder(String(a), String(b)))
  items.sort((x, y) => {
    const order = cmp(key(x), key(y)) || byteOrder(x.name, y.name)
    return desc ? -order : order
  })
}
