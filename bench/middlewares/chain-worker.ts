// The middleware chains of the benchmark alone, inside workerd: one request runs `n` requests
// through a chain (the edge's own `chain` and factories) into a next handler that answers at
// once, so the CPU workerd spends per iteration is the middlewares' own, with no network or
// proxy around it. workerd's clocks do not move during computation, hence CPU read from outside.
import { chain } from '../../edge-worker/src/middlewares/index.ts'
import type { EdgeRequest, Handler } from '../../edge-worker/src/request.ts'

interface Env {
  /** JSON: setup name to the list of {type, config} in order. */
  CHAINS: string
}

const next: Handler = async () => new Response('ok')
const edge = { target: 'workerd' as const, env: {}, log: () => {} }
const built = new Map<string, Handler>()

function request(authorization: string): EdgeRequest {
  return {
    method: 'GET',
    host: 'bench.example',
    path: '/api/items',
    query: 'page=2',
    headers: new Headers({ authorization, 'user-agent': 'wrk', accept: '*/*' }),
    body: null,
    clientIp: '127.0.0.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url)
    const name = url.searchParams.get('chain') ?? ''
    const n = Number(url.searchParams.get('n') ?? '1')
    let handler = built.get(name)
    if (!handler) {
      const list = (JSON.parse(env.CHAINS) as Record<string, Array<{ type: string; config: unknown }>>)[name]
      if (!list) return new Response(`no chain ${name}`, { status: 404 })
      handler = chain(
        list.map((m, i) => ({ name: `${name}-${i}`, type: m.type, config: m.config })),
        next,
        edge,
      )
      built.set(name, handler)
    }
    const authorization = req.headers.get('authorization') ?? ''
    for (let i = 0; i < n; i++) {
      const res = await handler(request(authorization))
      if (res.status !== 200) return new Response(`${name}: ${res.status} ${await res.text()}`, { status: 500 })
    }
    return new Response('done')
  },
}
