/**
 * Sharding the table by host, so a cold isolate reads only what a request can need.
 *
 * `splitTableByHost` gives one part per exact host with the routers that can only match that
 * host, and a `rest` part with every other router (host regexps, wildcards, host-less rules).
 * A request for host H can only be served by a router of H's part or of `rest`, so
 * `mergeTableParts([rest, part(H), ...])` routes H exactly as the whole table does. Each part
 * carries the closure of the services, middlewares and transports its routers reference.
 *
 * @module
 */
import { TABLE_SCHEMA_VERSION, type EdgeTable, type TableRouter, type TableService } from './schema.ts'

export interface SplitTable {
  rest: EdgeTable
  hosts: Record<string, EdgeTable>
}

export function splitTableByHost(table: EdgeTable): SplitTable {
  const { restRouters, byHost } = groupRoutersByHost(table)
  const hosts: Record<string, EdgeTable> = {}
  for (const host of [...byHost.keys()].sort()) hosts[host] = withClosure(table, Object.fromEntries(byHost.get(host)!))
  const rest = withClosure(table, Object.fromEntries(restRouters))
  // Every request reads `rest`; the map lists only hosts on non-default options, so it stays small.
  if (table.tls) rest.tls = table.tls
  return { rest, hosts }
}

type RouterEntries = Array<[name: string, router: TableRouter]>

/**
 * The routers of each exact host, and those of no single host (`rest`), by name: the edge orders
 * routers by priority and name whatever their order in a part, and a part that does not depend on
 * the order the routers were built in is the same whether the whole table or one changed router
 * was rebuilt (control-plane/pipeline/incremental).
 */
export function groupRoutersByHost(table: EdgeTable): { restRouters: RouterEntries; byHost: Map<string, RouterEntries> } {
  const restRouters: RouterEntries = []
  const byHost = new Map<string, RouterEntries>()
  for (const name of Object.keys(table.routers).sort()) {
    const router = table.routers[name]!
    if (router.hosts === null || router.hosts.length === 0) {
      restRouters.push([name, router])
      continue
    }
    for (const host of router.hosts) {
      let routers = byHost.get(host)
      if (!routers) byHost.set(host, (routers = []))
      routers.push([name, router])
    }
  }
  return { restRouters, byHost }
}

/** One table from parts of the same table (any subset, any order). */
export function mergeTableParts(parts: EdgeTable[]): EdgeTable {
  const first = parts[0]
  const merged: EdgeTable = {
    schema: TABLE_SCHEMA_VERSION,
    target: first?.target ?? 'workerd',
    routers: {},
    middlewares: {},
    services: {},
    transports: {},
  }
  for (const [i, part] of parts.entries()) {
    if (part?.schema !== TABLE_SCHEMA_VERSION) {
      throw new Error(`table part ${i} has schema ${JSON.stringify(part?.schema)}, not ${TABLE_SCHEMA_VERSION}`)
    }
    if (part.target !== merged.target) throw new Error(`table part ${i} is for ${part.target}, not ${merged.target}`)
    Object.assign(merged.routers, part.routers)
    Object.assign(merged.middlewares, part.middlewares)
    Object.assign(merged.services, part.services)
    Object.assign(merged.transports, part.transports)
    if (part.tls) merged.tls = part.tls
  }
  return merged
}

/** Which of the table's maps a closure looked a name up in, and what it found there. */
export type ClosureProbe = (map: 'middlewares' | 'services' | 'transports', name: string, found: unknown) => void

/** The routers plus everything they reach; `probe` hears every lookup (control-plane/table/incremental-split.ts). */
export function withClosure(table: EdgeTable, routers: Record<string, TableRouter>, probe?: ClosureProbe): EdgeTable {
  const part: EdgeTable = { schema: table.schema, target: table.target, routers, middlewares: {}, services: {}, transports: {} }
  const addMiddlewares = (names: string[] | undefined) => {
    for (const m of names ?? []) {
      const mw = table.middlewares[m]
      probe?.('middlewares', m, mw)
      if (!mw) continue
      part.middlewares[m] = mw
      const page = errorPageService(mw)
      if (page !== null) addService(page)
    }
  }
  const addService = (name: string) => {
    const svc = table.services[name]
    probe?.('services', name, svc)
    if (!svc || part.services[name]) return
    part.services[name] = svc
    addMiddlewares(svc.middlewares)
    for (const child of childServices(svc)) addService(child)
    if (svc.kind === 'loadBalancer' && svc.transport) probe?.('transports', svc.transport, table.transports[svc.transport])
    if (svc.kind === 'loadBalancer' && svc.transport && table.transports[svc.transport]) {
      part.transports[svc.transport] = table.transports[svc.transport]!
    }
  }
  for (const router of Object.values(routers)) {
    addMiddlewares(router.middlewares)
    addService(router.service)
  }
  return part
}

/** The services a service delegates to. */
export function childServices(svc: TableService): string[] {
  switch (svc.kind) {
    case 'weighted':
      return svc.services.map((s) => s.service)
    case 'mirroring':
      return [svc.service, ...svc.mirrors.map((m) => m.service)]
    case 'failover':
      return [svc.service, svc.fallback]
    default:
      return []
  }
}

/** The table key of the page service of an `errors` middleware (a reference, maybe `@kubernetescrd`), or null. */
export function errorPageService(spec: { type: string; config: unknown }): string | null {
  if (spec.type !== 'errors') return null
  const ref = (spec.config as { service?: unknown } | null)?.service
  return typeof ref === 'string' && ref !== '' ? ref.replace(/@kubernetescrd$/, '') : null
}
