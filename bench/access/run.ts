/**
 * Per-request cost of the access-control middlewares (basicAuth, digestAuth, ipAllowList,
 * headers) against a bare next handler, each built through the real pipeline (chain). basicAuth
 * is measured with a cold verification cache (every request a new password check) and a warm
 * one (the same credentials again, as a client sends them). Runs on Node (V8, as workerd);
 * prints median and p99 µs per request. Run: `npm run bench:access`.
 */
import bcrypt from 'bcryptjs'
import { chain } from '../../edge-worker/src/middlewares/index.ts'
import type { EdgeRequest, Handler } from '../../edge-worker/src/request.ts'
import { benchArgs } from '../support/args.ts'

benchArgs({
  name: 'bench:access',
  usage: ['npm run bench:access'],
  about:
    'Per-request cost of the access-control middlewares (basicAuth with a cold and a warm verification cache, digestAuth, ipAllowList, headers) against a bare next handler, on Node: median and p99 µs per request.',
  flags: {},
})

const edge = { target: 'workerd' as const, env: {}, log: () => {} }
const next: Handler = async () => new Response('ok')
const request = (headers: Record<string, string>, clientIp = '10.1.2.3'): EdgeRequest => ({
  method: 'GET',
  host: 'app.example',
  path: '/api/items',
  query: 'page=2',
  headers: new Headers(headers),
  body: null,
  clientIp,
  tls: true,
  entryPoint: 'websecure',
  skipXff: false,
  ctx: { waitUntil() {} },
  signal: undefined,
})
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`

async function measure(name: string, handler: Handler, make: (i: number) => EdgeRequest, iterations: number): Promise<void> {
  // Warm-up on other inputs (negative indices): a cold cache stays cold for the measured ones.
  for (let i = 1; i <= Math.min(200, iterations); i++) await handler(make(-i))
  const times: number[] = []
  for (let i = 0; i < iterations; i++) {
    const req = make(i)
    const start = performance.now()
    const res = await handler(req)
    times.push(performance.now() - start)
    if (res.status >= 500) throw new Error(`${name}: ${res.status}`)
  }
  times.sort((a, b) => a - b)
  const us = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 1000).toFixed(1)
  console.log(`${name.padEnd(44)} median ${us(0.5).padStart(8)} µs   p99 ${us(0.99).padStart(8)} µs   (${iterations} requests)`)
}

const bcryptUser = `alice:${bcrypt.hashSync('wonderland', 10)}`
const apr1User = 'test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'
const build = (type: string, config: unknown) => chain([{ name: 'mw', type, config }], next, edge)

await measure('no middleware', next, () => request({}), 20_000)
await measure(
  'basicAuth bcrypt(10), cache cold',
  build('basicAuth', { users: [bcryptUser] }),
  (i) => request({ authorization: basic('alice', `wonderland${i}`) }),
  30,
)
await measure(
  'basicAuth bcrypt(10), cache warm',
  build('basicAuth', { users: [bcryptUser] }),
  () => request({ authorization: basic('alice', 'wonderland') }),
  20_000,
)
await measure('basicAuth apr1, cache cold', build('basicAuth', { users: [apr1User] }), (i) => request({ authorization: basic('test', `test${i}`) }), 2_000)
await measure('basicAuth apr1, cache warm', build('basicAuth', { users: [apr1User] }), () => request({ authorization: basic('test', 'test') }), 20_000)
await measure(
  'ipAllowList, 3 ranges',
  build('ipAllowList', { sourceRange: ['192.168.0.0/16', '2001:db8::/32', '10.0.0.0/8'] }),
  (i) => request({}, `10.1.${i & 255}.3`),
  20_000,
)
await measure(
  'headers: security + CORS + custom',
  build('headers', {
    frameDeny: true,
    contentTypeNosniff: true,
    stsSeconds: 31536000,
    accessControlAllowOriginList: ['https://app.example'],
    addVaryHeader: true,
    customRequestHeaders: { 'X-Edge': '1' },
    customResponseHeaders: { 'X-Served-By': 'edge' },
  }),
  () => request({ origin: 'https://app.example' }),
  20_000,
)
