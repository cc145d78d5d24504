// The floor the edge is measured against: a worker that only forwards each request to one
// upstream with fetch() and returns its response (../shared/perf-floor.md's pass-through worker).
interface Env {
  UPSTREAM: string
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    return fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' })
  },
}
