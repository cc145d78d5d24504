// A local stand-in for Cloudflare's Workers KV REST API (the endpoints the control plane uses, with
// their documented request limits and error envelope), with scripted faults: 429s and 5xx answers
// and keys a bulk call reports as unsuccessful.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Fault {
  /** Which calls it hits, e.g. 'PUT /bulk'. Default: every call. */
  route?: string
  status: number
  retryAfter?: string
  /** How many calls it hits. */
  times: number
  /** Matching calls to let through before it hits. Default 0. */
  after?: number
  /** Answer body instead of Cloudflare's error envelope (e.g. a proxy's HTML page). */
  body?: string
  /** `reset`: drop the connection without an answer; `hang`: never answer. */
  action?: 'reset' | 'hang'
}

export interface FakeCloudflareKv {
  /** Base URL to give as `baseUrl`. */
  readonly baseUrl: string
  readonly accountId: string
  readonly namespaceId: string
  readonly token: string
  readonly data: Map<string, string>
  /** `METHOD /route` of every call, in order, as received. */
  readonly calls: string[]
  /** Keys each successful bulk write stored, with when (performance.now()). */
  readonly writes: Array<{ at: number; keys: string[] }>
  faults: Fault[]
  /** Keys reported unsuccessful (and not written or deleted) by the next bulk call that carries them. */
  unsuccessfulOnce: Set<string>
  close(): Promise<void>
}

const LIST_PAGE = 1000

/** The environment the Workers KV REST sink reads (`--sink cloudflare`), pointed at `kv`. */
export function cloudflareKvEnv(kv: FakeCloudflareKv): Record<string, string> {
  return {
    CLOUDFLARE_ACCOUNT_ID: kv.accountId,
    CLOUDFLARE_KV_NAMESPACE_ID: kv.namespaceId,
    CLOUDFLARE_API_TOKEN: kv.token,
    CLOUDFLARE_API_BASE_URL: kv.baseUrl,
  }
}

export async function startFakeCloudflareKv(): Promise<FakeCloudflareKv> {
  const fake = {
    accountId: 'acc0123456789abcdef0123456789abcd',
    namespaceId: 'ns0123456789abcdef0123456789abcde',
    token: 'test-token',
    data: new Map<string, string>(),
    calls: [] as string[],
    writes: [] as Array<{ at: number; keys: string[] }>,
    faults: [] as Fault[],
    unsuccessfulOnce: new Set<string>(),
  }
  const prefix = `/client/v4/accounts/${fake.accountId}/storage/kv/namespaces/${fake.namespaceId}`
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, fail(10001, String(err))))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api')
    const body = await readBody(req)
    if (req.headers.authorization !== `Bearer ${fake.token}`) return reply(res, 403, fail(10000, 'Authentication error'))
    if (!url.pathname.startsWith(prefix)) return reply(res, 404, fail(10013, 'namespace not found'))
    const route = `${req.method} ${url.pathname.slice(prefix.length)}`
    fake.calls.push(route)
    const fault = fake.faults.find((f) => f.times > 0 && (f.route === undefined || f.route === route) && !letThrough(f))
    if (fault) {
      fault.times--
      if (fault.action === 'reset') return void req.socket.destroy()
      if (fault.action === 'hang') return
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter)
      if (fault.body !== undefined) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(fault.body)
      return reply(res, fault.status, fail(fault.status === 429 ? 10429 : 10001, fault.status === 429 ? 'Too many requests' : 'Internal error'))
    }
    const answer = kvRoute(route, url, body, fake)
    if (answer) return reply(res, answer.status, answer.body)
    return reply(res, 404, fail(7003, `no route for ${route}`))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(fake, {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  })
}

/** The namespace data a KV route reads and writes. */
export interface KvNamespaceData {
  data: Map<string, string>
  /** Keys each successful bulk write stored, with when (performance.now()), when kept. */
  writes?: Array<{ at: number; keys: string[] }>
  /** Keys reported unsuccessful (and not written or deleted) by the next bulk call that carries them. */
  unsuccessfulOnce: Set<string>
}

/**
 * One call of the Workers KV REST API on a namespace (`METHOD /route` below
 * /accounts/{account}/storage/kv/namespaces/{id}): the answer, or null for a route it does not know.
 * Shared with the whole-account fake (./fake-cloudflare-api.ts).
 */
export function kvRoute(route: string, url: URL, body: string, fake: KvNamespaceData): { status: number; body: unknown } | null {
  const r = (status: number, answer: unknown) => ({ status, body: answer })
  switch (route) {
    case 'PUT /bulk': {
      const pairs = JSON.parse(body) as Array<{ key?: unknown; value?: unknown }>
      if (!Array.isArray(pairs) || pairs.length > 10_000) return r(400, fail(10026, 'bulk writes take 1 to 10000 pairs'))
      if (Buffer.byteLength(body) >= 100 * 1024 * 1024) return r(413, fail(10027, 'request too large'))
      const failed: string[] = []
      const stored: string[] = []
      for (const p of pairs) {
        if (typeof p.key !== 'string' || typeof p.value !== 'string') return r(400, fail(10019, 'each pair needs a string key and value'))
        if (fake.unsuccessfulOnce.delete(p.key)) failed.push(p.key)
        else {
          fake.data.set(p.key, p.value)
          stored.push(p.key)
        }
      }
      fake.writes?.push({ at: performance.now(), keys: stored })
      return r(200, ok({ successful_key_count: pairs.length - failed.length, unsuccessful_keys: failed }))
    }
    case 'POST /bulk/delete': {
      const keys = JSON.parse(body) as string[]
      if (!Array.isArray(keys) || keys.length > 10_000) return r(400, fail(10026, 'bulk deletes take up to 10000 keys'))
      const failed = keys.filter((k) => fake.unsuccessfulOnce.delete(k))
      for (const k of keys) if (!failed.includes(k)) fake.data.delete(k)
      return r(200, ok({ successful_key_count: keys.length - failed.length, unsuccessful_keys: failed }))
    }
    case 'POST /bulk/get': {
      const { keys } = JSON.parse(body) as { keys?: string[] }
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > 100) return r(400, fail(10026, 'bulk reads take 1 to 100 keys'))
      return r(200, ok({ values: Object.fromEntries(keys.map((k) => [k, fake.data.get(k) ?? null])) }))
    }
    case 'GET /keys': {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? LIST_PAGE), LIST_PAGE)
      const start = Number(url.searchParams.get('cursor') || 0)
      const names = [...fake.data.keys()].filter((k) => k.startsWith(url.searchParams.get('prefix') ?? '')).sort()
      const page = names.slice(start, start + limit)
      const next = start + limit < names.length ? String(start + limit) : ''
      return r(200, { ...ok(page.map((name) => ({ name }))), result_info: { count: page.length, cursor: next } })
    }
  }
  return null
}

/** Counts down a fault's `after`: true while the call still goes through. */
function letThrough(f: Fault): boolean {
  if ((f.after ?? 0) <= 0) return false
  f.after!--
  return true
}

function ok(result: unknown) {
  return { success: true, errors: [], messages: [], result }
}

function fail(code: number, message: string) {
  return { success: false, errors: [{ code, message }], messages: [], result: null }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  req.setEncoding('utf8')
  for await (const chunk of req) text += chunk
  return text
}
