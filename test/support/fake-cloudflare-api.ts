// A local stand-in for the part of Cloudflare's v4 API that deploying this project touches, as
// wrangler 4 and the control plane call it: Workers KV namespaces (create, list, and their data
// through ./fake-cloudflare-kv.ts's routes), Worker uploads with their bindings and secrets, the
// workers.dev subdomain, Custom Domains and routes with the zone lookup behind them, and Cloudflare
// Tunnels (create, token, private network routes). Each call is checked against the token and
// recorded; what was uploaded is kept, so a test can check what a real account would now hold.
// Calls it does not know are answered 404 in Cloudflare's envelope and listed in `unknown`.
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { kvRoute, type KvNamespaceData } from './fake-cloudflare-kv.ts'

export interface FakeNamespace extends KvNamespaceData {
  id: string
  title: string
}

export interface UploadedWorker {
  /** The upload's metadata part (main module, bindings, compatibility, migrations...). */
  metadata: {
    main_module?: string
    bindings?: Array<Record<string, unknown>>
    compatibility_date?: string
    compatibility_flags?: string[]
    migrations?: unknown
    [k: string]: unknown
  }
  /** Module name -> source. */
  modules: Map<string, string>
  /** Secrets set with `wrangler secret put` (name -> value). */
  secrets: Map<string, string>
  workersDev: boolean
  tag: string
  /** The last Durable Object migration applied (the upload's migrations.new_tag). */
  migrationTag?: string
  /** The version serving (deployed at 100 %). */
  deployed?: string
}

export interface FakeTunnel {
  id: string
  name: string
  token: string
  /** Private network routes (CIDR) announced through it. */
  routes: string[]
}

export interface FakeCloudflareApi {
  readonly baseUrl: string
  readonly accountId: string
  readonly token: string
  readonly subdomain: string
  readonly zone: { id: string; name: string }
  readonly namespaces: Map<string, FakeNamespace>
  readonly workers: Map<string, UploadedWorker>
  /** Custom Domains: hostname -> worker. */
  readonly domains: Map<string, string>
  /** Routes: pattern -> worker. */
  readonly routes: Map<string, string>
  readonly tunnels: Map<string, FakeTunnel>
  /** The zone's DNS records by name. */
  readonly dnsRecords: Map<string, { type: string; name: string; content: string; proxied?: boolean }>
  /** `METHOD /path` of every call, in order. */
  readonly calls: string[]
  /** Calls no route answered. */
  readonly unknown: string[]
  /** Another token also accepted (a narrower one, such as the controller's KV-only token). */
  allowToken(token: string): void
  close(): Promise<void>
}

type Handler = (
  m: RegExpMatchArray,
  req: IncomingMessage,
  body: Buffer,
  url: URL,
) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>

export async function startFakeCloudflareApi(): Promise<FakeCloudflareApi> {
  const accountId = randomBytes(16).toString('hex')
  const tokens = new Set([`wrangler-${randomBytes(8).toString('hex')}`])
  const zone = { id: randomBytes(16).toString('hex'), name: 'example.com' }
  const namespaces = new Map<string, FakeNamespace>()
  const workers = new Map<string, UploadedWorker>()
  const domains = new Map<string, string>()
  const routes = new Map<string, string>()
  const tunnels = new Map<string, FakeTunnel>()
  const dnsRecords = new Map<string, { type: string; name: string; content: string; proxied?: boolean }>()
  const calls: string[] = []
  const unknown: string[] = []
  const subdomain = 'fake-account'
  const acct = `/client/v4/accounts/${accountId}`

  const inZone = (host: string) => host === zone.name || host.endsWith(`.${zone.name}`)
  const worker = (name: string): UploadedWorker => {
    let w = workers.get(name)
    if (!w) workers.set(name, (w = { metadata: {}, modules: new Map(), secrets: new Map(), workersDev: false, tag: randomBytes(16).toString('hex') }))
    return w
  }
  const upload = (name: string, req: IncomingMessage, body: Buffer, version: boolean) => {
    const parts = multipart(req.headers['content-type'] ?? '', body)
    const w = worker(name)
    const metadata = JSON.parse(parts.get('metadata') ?? '{}') as UploadedWorker['metadata']
    const migrations = metadata.migrations as { old_tag?: string; new_tag?: string } | undefined
    if (migrations?.old_tag !== undefined && migrations.old_tag !== w.migrationTag)
      return err(400, 10079, `migration old_tag ${migrations.old_tag} is not the script's (${w.migrationTag ?? 'none'})`)
    if (migrations?.new_tag) w.migrationTag = migrations.new_tag
    w.metadata = metadata
    w.modules = new Map([...parts].filter(([k]) => k !== 'metadata'))
    const id = randomUUID()
    if (!version) w.deployed = id
    return ok({
      id,
      etag: randomBytes(8).toString('hex'),
      deployment_id: id,
      startup_time_ms: 10,
      resources: { script: { etag: randomBytes(8).toString('hex') } },
    })
  }
  const routesTable: Array<[string, RegExp, Handler]> = [
    // Workers KV namespaces and their data.
    [
      'POST',
      new RegExp(`^${acct}/storage/kv/namespaces$`),
      (_m, _r, body) => {
        const { title } = JSON.parse(body.toString()) as { title: string }
        if ([...namespaces.values()].some((n) => n.title === title)) return err(400, 10014, 'A namespace with this account ID and title already exists.')
        const ns: FakeNamespace = { id: randomBytes(16).toString('hex'), title, data: new Map(), unsuccessfulOnce: new Set() }
        namespaces.set(ns.id, ns)
        return ok({ id: ns.id, title, supports_url_encoding: true })
      },
    ],
    [
      'GET',
      new RegExp(`^${acct}/storage/kv/namespaces$`),
      (_m, _r, _b, url) => {
        const all = [...namespaces.values()].map(({ id, title }) => ({ id, title, supports_url_encoding: true }))
        const page = Number(url.searchParams.get('page') ?? 1)
        const per = Number(url.searchParams.get('per_page') ?? 20)
        return {
          status: 200,
          body: {
            ...ok(all.slice((page - 1) * per, page * per)).body,
            result_info: { page, per_page: per, count: Math.min(per, all.length), total_count: all.length },
          },
        }
      },
    ],
    [
      '*',
      new RegExp(`^${acct}/storage/kv/namespaces/([0-9a-f]+)(/.*)$`),
      (m, req, body, url) => {
        const ns = namespaces.get(m[1]!)
        if (!ns) return err(404, 10013, 'namespace not found')
        return kvRoute(`${req.method} ${m[2]}`, url, body.toString(), ns) ?? err(404, 7003, 'no such route')
      },
    ],
    // Workers: the account's workers.dev subdomain, uploads, their workers.dev switch, secrets.
    ['GET', new RegExp(`^${acct}/workers/subdomain$`), () => ok({ subdomain })],
    [
      'GET',
      new RegExp(`^${acct}/workers/services/([\\w-]+)$`),
      (m) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        return ok({ id: m[1], default_environment: { environment: 'production', script: { id: m[1], tag: w.tag, migration_tag: w.migrationTag } } })
      },
    ],
    // An upload: the script as a whole (PUT), or a new version then a deployment of it (wrangler's default).
    ['PUT', new RegExp(`^${acct}/workers/scripts/([\\w-]+)$`), (m, req, body) => upload(m[1]!, req, body, false)],
    ['POST', new RegExp(`^${acct}/workers/scripts/([\\w-]+)/versions$`), (m, req, body) => upload(m[1]!, req, body, true)],
    [
      'GET',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/deployments$`),
      (m) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        return ok({
          deployments: w.deployed
            ? [{ id: randomUUID(), source: 'wrangler', strategy: 'percentage', versions: [{ version_id: w.deployed, percentage: 100 }] }]
            : [],
        })
      },
    ],
    [
      'POST',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/deployments$`),
      (m, _r, body) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        const { versions } = JSON.parse(body.toString()) as { versions: Array<{ version_id: string; percentage: number }> }
        w.deployed = versions.find((v) => v.percentage === 100)?.version_id
        return ok({ id: randomUUID(), versions })
      },
    ],
    [
      'POST',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/subdomain$`),
      (m, _r, body) => {
        const w = worker(m[1]!)
        w.workersDev = (JSON.parse(body.toString()) as { enabled: boolean }).enabled
        return ok({ enabled: w.workersDev, previews_enabled: false })
      },
    ],
    [
      'GET',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/subdomain$`),
      (m) => ok({ enabled: workers.get(m[1]!)?.workersDev ?? false, previews_enabled: false }),
    ],
    [
      'GET',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/secrets$`),
      (m) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        return ok([...w.secrets.keys()].map((name) => ({ name, type: 'secret_text' })))
      },
    ],
    // Custom Domains: wrangler asks for a changeset, then puts the records (a DNS record and a certificate each, on Cloudflare).
    [
      'POST',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/domains/changeset$`),
      (_m, _r, body) => {
        const origins = JSON.parse(body.toString()) as Array<{ hostname: string }>
        return ok({ added: origins.filter((o) => !domains.has(o.hostname)), removed: [], updated: [], conflicting: [] })
      },
    ],
    [
      'PUT',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/domains/records$`),
      (m, _r, body) => {
        const { origins } = JSON.parse(body.toString()) as { origins: Array<{ hostname: string }> }
        for (const o of origins) {
          if (!inZone(o.hostname)) return err(400, 100117, `${o.hostname} is not in a zone of this account`)
          domains.set(o.hostname, m[1]!)
        }
        return ok(origins.map((o) => ({ id: randomUUID(), hostname: o.hostname, service: m[1], zone_id: zone.id, zone_name: zone.name })))
      },
    ],
    // Routes on zones.
    [
      'PUT',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/routes$`),
      (m, _r, body) => {
        const list = JSON.parse(body.toString()) as Array<{ pattern: string }>
        for (const r of list) {
          if (!inZone(r.pattern.replace(/\/.*$/, '').replace(/^\*\.?/, ''))) return err(400, 10020, `${r.pattern}: no zone of this account`)
          routes.set(r.pattern, m[1]!)
        }
        return ok(list.map((r) => ({ id: randomUUID(), pattern: r.pattern, script: m[1] })))
      },
    ],
    [
      'GET',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/routes$`),
      (m) => ok([...routes].filter(([, w]) => w === m[1]).map(([pattern]) => ({ id: pattern, pattern, script: m[1] }))),
    ],
    ['PATCH', new RegExp(`^${acct}/workers/scripts/([\\w-]+)/script-settings$`), () => ok({})],
    [
      'GET',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/settings$`),
      (m) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        return ok({
          bindings: w.metadata.bindings ?? [],
          compatibility_date: w.metadata.compatibility_date,
          compatibility_flags: w.metadata.compatibility_flags ?? [],
        })
      },
    ],
    [
      'GET',
      new RegExp(`^${acct}/workers/workers/([\\w-]+)$`),
      (m) => {
        const w = workers.get(m[1]!)
        if (!w) return err(404, 10007, 'This Worker does not exist on your account.')
        return ok({ id: w.tag, name: m[1], subdomain: { enabled: w.workersDev, previews_enabled: false } })
      },
    ],
    [
      'PUT',
      new RegExp(`^${acct}/workers/scripts/([\\w-]+)/secrets$`),
      (m, _r, body) => {
        if (!workers.has(m[1]!)) return err(404, 10007, 'This Worker does not exist on your account.')
        const { name, text } = JSON.parse(body.toString()) as { name: string; text: string }
        worker(m[1]!).secrets.set(name, text)
        return ok({ name, type: 'secret_text' })
      },
    ],
    // Zones (the route's zone lookup), Custom Domains and routes.
    ['GET', /^\/client\/v4\/zones$/, (_m, _r, _b, url) => ok(url.searchParams.get('name') === zone.name ? [{ id: zone.id, name: zone.name }] : [])],
    [
      'POST',
      /^\/client\/v4\/zones\/([0-9a-f]+)\/dns_records$/,
      (m, _r, body) => {
        if (m[1] !== zone.id) return err(404, 7003, 'no such zone')
        const record = JSON.parse(body.toString()) as { type: string; name: string; content: string; proxied?: boolean }
        if (!inZone(record.name)) return err(400, 9005, `${record.name} is not in ${zone.name}`)
        dnsRecords.set(record.name, record)
        return ok({ id: randomBytes(16).toString('hex'), ...record })
      },
    ],
    // Tunnels: create one (remotely managed), its token, private network routes.
    [
      'POST',
      new RegExp(`^${acct}/cfd_tunnel$`),
      (_m, _r, body) => {
        const { name } = JSON.parse(body.toString()) as { name: string }
        const t: FakeTunnel = {
          id: randomUUID(),
          name,
          token: Buffer.from(JSON.stringify({ a: accountId, t: name, s: randomBytes(32).toString('base64') })).toString('base64'),
          routes: [],
        }
        tunnels.set(t.id, t)
        return ok({ id: t.id, name, status: 'inactive', config_src: 'cloudflare' })
      },
    ],
    [
      'GET',
      new RegExp(`^${acct}/cfd_tunnel/([0-9a-f-]+)/token$`),
      (m) => (tunnels.has(m[1]!) ? ok(tunnels.get(m[1]!)!.token) : err(404, 1003, 'tunnel not found')),
    ],
    [
      'POST',
      new RegExp(`^${acct}/teamnet/routes$`),
      (_m, _r, body) => {
        const { network, tunnel_id } = JSON.parse(body.toString()) as { network: string; tunnel_id: string }
        const t = tunnels.get(tunnel_id)
        if (!t) return err(400, 1003, 'tunnel not found')
        if (!/^[\d.]+\/\d+$|^[0-9a-f:]+\/\d+$/i.test(network)) return err(400, 1001, `invalid network ${network}`)
        t.routes.push(network)
        return ok({ id: randomUUID(), network, tunnel_id })
      },
    ],
  ]

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { success: false, errors: [{ code: 10001, message: String(e) }], messages: [], result: null }))
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', 'http://api')
    calls.push(`${req.method} ${url.pathname}`)
    const auth = req.headers.authorization ?? ''
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) return send(res, 403, err(403, 10000, 'Authentication error').body)
    for (const [method, pattern, handler] of routesTable) {
      if (method !== '*' && method !== req.method) continue
      const m = url.pathname.match(pattern)
      if (!m) continue
      const answer = await handler(m, req, body, url)
      return send(res, answer.status, answer.body)
    }
    unknown.push(`${req.method} ${url.pathname}${url.search}`)
    send(res, 404, err(404, 7003, `Could not route to ${url.pathname}, perhaps your object identifier is invalid?`).body)
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    accountId,
    token: [...tokens][0]!,
    subdomain,
    zone,
    namespaces,
    workers,
    domains,
    routes,
    tunnels,
    dnsRecords,
    calls,
    unknown,
    allowToken: (t) => void tokens.add(t),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}

function ok(result: unknown) {
  return { status: 200, body: { success: true, errors: [], messages: [], result } }
}

function err(status: number, code: number, message: string) {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null } }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

/** The parts of a multipart/form-data body by name (text). */
function multipart(contentType: string, body: Buffer): Map<string, string> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1]
  const parts = new Map<string, string>()
  if (!boundary) return parts
  for (const chunk of body.toString('latin1').split(`--${boundary}`)) {
    const at = chunk.indexOf('\r\n\r\n')
    if (at < 0) continue
    const name = /name="([^"]+)"/.exec(chunk.slice(0, at))?.[1]
    if (name) parts.set(name, Buffer.from(chunk.slice(at + 4).replace(/\r\n$/, ''), 'latin1').toString('utf8'))
  }
  return parts
}
