// The floor the edge is measured against (bench:proxy's pass-through): a worker that only
// forwards each request to one upstream with fetch() and returns its response.
interface Env {
  UPSTREAM: string
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    return fetch(env.UPSTREAM + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual' })
  },
}
