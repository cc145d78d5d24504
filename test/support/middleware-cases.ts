// Runs one middleware over a request built from a middlewares.json case
// (test/traefik/conformance/middlewares.json), recording what reaches the next handler.
import type { EdgeRequest } from '../../edge-worker/src/request.ts'
import { chain } from '../../edge-worker/src/middlewares/index.ts'
import { conformanceCases } from './traefik-data.ts'

export interface MiddlewareCase {
  middleware: string
  config: Record<string, unknown>
  configError?: boolean
  usersFileContent?: string
  request?: { method: string; url: string; headers: Record<string, string | string[]>; remoteAddr?: string }
  upstreamResponse?: { status: number; headers?: Record<string, string>; body?: string }
  expect?: {
    status: number
    body?: string
    forwardedToNext?: boolean
    upstreamPath?: string
    upstreamDecodedPath?: string
    upstreamHeaders?: Record<string, string | null>
    upstreamHeadersExact?: boolean
    upstreamHost?: string
    responseHeaders?: Record<string, string>
    responseHeadersExact?: boolean
  }
  source: string
  note?: string
}

/** usersFile content as Traefik reads it (trimmed lines, blanks and comments skipped) in front of `users`, as the compiler gives a Secret's. */
export function withFileUsers(config: Record<string, unknown>, file: string | undefined): Record<string, unknown> {
  if (file === undefined) return config
  const { usersFile: _file, ...rest } = config
  const lines = file
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  return { ...rest, users: [...lines, ...((config.users as string[] | undefined) ?? [])] }
}

export function middlewareCases(type: string): MiddlewareCase[] {
  return conformanceCases<MiddlewareCase[]>('middlewares.json').filter((c) => c.middleware === type)
}

/** The request as the edge hands it to middlewares: Host from the Host header (Go's req.Host), client IP from RemoteAddr. */
export function caseRequest(r: NonNullable<MiddlewareCase['request']>): EdgeRequest {
  const url = new URL(r.url)
  const headers = new Headers()
  let host = url.host
  for (const [k, v] of Object.entries(r.headers)) {
    if (k.toLowerCase() === 'host') host = [v].flat()[0] ?? ''
    else for (const line of [v].flat()) headers.append(k, line)
  }
  return {
    method: r.method,
    host,
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    body: null,
    clientIp: withoutPort(r.remoteAddr ?? '192.0.2.1:1234'),
    tls: url.protocol === 'https:',
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

function withoutPort(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'))
  const colon = address.lastIndexOf(':')
  return colon !== -1 && address.indexOf(':') === colon ? address.slice(0, colon) : address
}

export interface CaseRun {
  response: Response
  body: string
  /** The request as the next handler saw it; null when the middleware answered itself. */
  upstream: EdgeRequest | null
}

/** Builds the middleware through the real pipeline (chain) and sends the case's request. */
export async function runCase(c: MiddlewareCase, config: unknown = c.config, env: Record<string, unknown> = {}): Promise<CaseRun> {
  let upstream: EdgeRequest | null = null
  const next = async (req: EdgeRequest) => {
    upstream = { ...req, headers: new Headers(req.headers) }
    const u = c.upstreamResponse
    return new Response(u?.body ?? '', { status: u?.status ?? 200, headers: u?.headers ?? {} })
  }
  const handler = chain([{ name: 'mw', type: c.middleware, config }], next, { target: 'workerd', env, log: () => {} })
  const response = await handler(caseRequest(c.request!))
  return { response, body: await response.clone().text(), upstream }
}
