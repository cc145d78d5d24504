/**
 * The dashboard over HTTP: static files (./static: plain HTML, CSS and JavaScript, no build step)
 * and a JSON API over a DashboardModel.
 *
 *   GET  {prefix}/               the page
 *   GET  {prefix}/api/state      DashboardState (503 before the first build)
 *   POST {prefix}/api/explain    {url, method?, headers?: [[k, v]...], clientIp?, entryPoint?} -> Explanation + text
 *   GET  {prefix}/api/diff       what the last published change changed + text (null before two builds)
 *
 * `dashboardHandler` mounts on any node:http server (the control plane's ops server);
 * `serveDashboard` runs it on its own loopback port (npm run edge, npm start).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { formatDiff } from '../diff/diff.ts'
import { formatExplanation, type ExplainRequest } from '../explain/explain.ts'
import type { DashboardModel } from './model.ts'

const STATIC_DIR = join(import.meta.dirname, 'static')
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
}
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}
const MAX_BODY = 64 * 1024

/** Handles the request when its path is under `prefix` (default ''); returns false otherwise. */
export function dashboardHandler(model: DashboardModel, options: { prefix?: string } = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prefix = (options.prefix ?? '').replace(/\/$/, '')
  const files = new Map(
    Object.entries(FILES).map(([path, file]) => [path, { body: readFileSync(join(STATIC_DIR, file)), type: TYPES[file.split('.').pop()!]! }]),
  )
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard')
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false
    if (url.pathname === prefix && prefix !== '') {
      res.writeHead(308, { location: `${prefix}/` }).end()
      return true
    }
    const path = url.pathname.slice(prefix.length)
    const file = files.get(path)
    if (file && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-cache' }).end(req.method === 'HEAD' ? undefined : file.body)
      return true
    }
    if (path === '/api/state' && req.method === 'GET') {
      const state = model.state()
      json(res, state ? 200 : 503, state ?? { error: 'no configuration built yet' })
      return true
    }
    if (path === '/api/diff' && req.method === 'GET') {
      const diff = model.diff()
      // `text` is what `npm run diff` prints for the two builds.
      json(res, 200, diff ? { ...diff, text: formatDiff(diff) } : null)
      return true
    }
    if (path === '/api/explain' && req.method === 'POST') {
      void explain(model, req, res)
      return true
    }
    json(res, 404, { error: `no ${req.method} ${path}` })
    return true
  }
}

async function explain(model: DashboardModel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > MAX_BODY) return json(res, 413, { error: 'request too large' })
  }
  let input: ExplainRequest
  try {
    input = parseExplainInput(JSON.parse(body))
  } catch (err) {
    return json(res, 400, { error: (err as Error).message })
  }
  const explanation = model.explain(input)
  // `text` is what `npm run explain` prints for the same request.
  json(res, explanation ? 200 : 503, explanation ? { ...explanation, text: formatExplanation(explanation) } : { error: 'no configuration built yet' })
}

/** Checks the form's JSON; throws a message for the user. */
export function parseExplainInput(v: unknown): ExplainRequest {
  if (typeof v !== 'object' || v === null) throw new Error('expected a JSON object')
  const o = v as Record<string, unknown>
  if (typeof o.url !== 'string') throw new Error('url: required')
  let url: URL
  try {
    url = new URL(o.url)
  } catch {
    throw new Error(`url: ${JSON.stringify(o.url)} is not an absolute URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('url: http or https only')
  const headers = o.headers ?? []
  if (!Array.isArray(headers) || !headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === 'string'))) {
    throw new Error('headers: expected [[name, value], ...]')
  }
  const text = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined)
  const method = text('method')
  const clientIp = text('clientIp')
  const entryPoint = text('entryPoint')
  return {
    url: o.url,
    headers: headers as Array<[string, string]>,
    ...(method ? { method } : {}),
    ...(clientIp ? { clientIp } : {}),
    ...(entryPoint ? { entryPoint } : {}),
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(value))
}

export interface DashboardServer {
  url: string
  close(): Promise<void>
}

/** The dashboard alone on 127.0.0.1:port (0: any free port). */
export async function serveDashboard(model: DashboardModel, port: number, host = '127.0.0.1'): Promise<DashboardServer> {
  const handle = dashboardHandler(model)
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
