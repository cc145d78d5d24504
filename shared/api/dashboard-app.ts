/**
 * The dashboard and Traefik's API as one Hono app, served by the control plane (node:http,
 * control-plane/dashboard/server.ts) and by the worker for `api@internal` and
 * `dashboard@internal` (edge-worker/src/service/internal.ts), each over its own source.
 *
 *   GET  /, /app.js, /style.css   the page (plain HTML, CSS and JavaScript)
 *   GET  /api/state               the dashboard's state (503 before the first build)
 *   GET  /api/diff                what the last published change changed, or null
 *   POST /api/explain             {url, method?, headers?, clientIp?, entryPoint?} -> the explanation
 *   GET  /api/...                 Traefik's API (./traefik-api.ts)
 *
 * `apiInternal()` puts it where Traefik's `api@internal` has it: the API at /api/, the
 * dashboard under /dashboard/, and / redirected there.
 *
 * @module
 */
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { traefikApi, type ApiLoader } from './traefik-api.ts'

export interface DashboardSource {
  /** A file of the page by path (`/`, `/app.js`, `/style.css`), or null. */
  file(path: string): { body: string; type: string } | null
  state(): unknown | Promise<unknown>
  diff(): unknown | Promise<unknown>
  /** Explains a request from the form's JSON; absent where explain does not run. */
  explain?(input: unknown): { status: number; body: unknown } | Promise<{ status: number; body: unknown }>
}

const MAX_EXPLAIN_BODY = 64 * 1024

export function dashboardApp(source: DashboardSource, api: ApiLoader): Hono {
  const app = new Hono()
  app.get('/api/state', async () => {
    const state = await source.state()
    return noStore(state === null || state === undefined ? Response.json({ error: 'no configuration built yet' }, { status: 503 }) : Response.json(state))
  })
  app.get('/api/diff', async () => noStore(Response.json((await source.diff()) ?? null)))
  app.post(
    '/api/explain',
    bodyLimit({ maxSize: MAX_EXPLAIN_BODY, onError: () => noStore(Response.json({ error: 'request too large' }, { status: 413 })) }),
    async (c) => {
      if (!source.explain)
        return noStore(
          Response.json({ error: "explain runs in the control plane's dashboard (npm run explain, or the controller's --dashboard)" }, { status: 501 }),
        )
      let input: unknown
      try {
        input = JSON.parse(await c.req.text())
      } catch (err) {
        return noStore(Response.json({ error: (err as Error).message }, { status: 400 }))
      }
      const { status, body } = await source.explain(input)
      return noStore(Response.json(body, { status }))
    },
  )
  app.route('/', traefikApi(api))
  app.get('*', (c) => {
    const file = source.file(new URL(c.req.url).pathname)
    if (!file) return c.notFound()
    return new Response(file.body, { headers: { 'content-type': file.type, 'cache-control': 'no-cache' } })
  })
  app.notFound((c) => noStore(Response.json({ error: `no ${c.req.method} ${new URL(c.req.url).pathname}` }, { status: 404 })))
  return app
}

/** Traefik's `api@internal` paths over the dashboard app: /api/..., /dashboard/..., and / to /dashboard/. */
export function apiInternal(dashboard: Hono): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url)
    const path = url.pathname
    if (path === '/' || path === '/dashboard') {
      // X-Forwarded-Prefix is the upstream hop's to set (a stripPrefix middleware does): Traefik redirects under it.
      const prefix = forwardedPrefix(request.headers.get('x-forwarded-prefix'))
      return new Response(null, { status: 302, headers: { location: `${prefix}/dashboard/` } })
    }
    if (path.startsWith('/dashboard/')) {
      url.pathname = path.slice('/dashboard'.length)
      return dashboard.fetch(new Request(url, request))
    }
    if (path === '/api' || path.startsWith('/api/')) return dashboard.fetch(request)
    return new Response('404 page not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } })
  }
}

/** A path prefix only: a value naming a host or a scheme is dropped, as Traefik drops it. */
function forwardedPrefix(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return ''
  return value.replace(/\/+$/, '')
}

function noStore(res: Response): Response {
  res.headers.set('cache-control', 'no-store')
  return res
}
