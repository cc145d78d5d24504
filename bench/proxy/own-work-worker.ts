// The edge's own work per request, inside workerd (bench/proxy/own-work.ts): `GET /?n=N&mode=M`
// runs N requests one after another through the real edge (table from KV, routing, middlewares,
// balancing, proxy) with the runtime's fetch() replaced by one that answers at once, so what is
// left is the edge's work. mode=bare runs the same loop with only that fetch (the floor);
// mode=cf adds reading request.cf of the incoming request, which workerd charges for on its first
// read and which a constructed request cannot show.
import { edgeFetch, type EdgeEnv } from '../../edge-worker/src/app.ts'

interface Env extends EdgeEnv {
  HOSTS: string
}

const edge = edgeFetch()
const realFetch = globalThis.fetch
let answered = 0
// Answers without I/O: the proxy's fetch() is the only I/O the measured path does.
globalThis.fetch = (async () => {
  answered++
  return new Response('ok')
}) as typeof fetch

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname !== '/__own-work') return edge(request, env, ctx)
    const n = Number(url.searchParams.get('n') ?? 1)
    const mode = url.searchParams.get('mode') ?? 'edge'
    const hosts = env.HOSTS.split(',')
    answered = 0
    for (let i = 0; i < n; i++) {
      const headers = { host: hosts[i % hosts.length]!, 'user-agent': 'wrk', accept: '*/*' }
      const req = new Request(`http://${headers.host}/`, { headers })
      const res =
        mode === 'bare' ? await globalThis.fetch('http://127.0.0.1/', { method: req.method, headers: req.headers, body: req.body }) : await edge(req, env, ctx)
      if (res.status !== 200) return new Response(`${headers.host}: ${res.status} ${await res.text()}`, { status: 500 })
    }
    return new Response(`${answered} ${realFetch === globalThis.fetch}`)
  },
}
