/**
 * Router matching benchmark: tables of 1k, 10k and 100k routers (many hosts with path prefixes,
 * some header rules, a few regexp hosts and host-less rules), the host-first index against the
 * linear scan. Prints table build time and median/p99 ns per match. Run: `npm run bench:match`.
 */
import { buildRouterIndex } from '../../shared/rules/router-index.ts'
import { linearScan } from '../../shared/rules/linear-scan.ts'
import { requestToMatchRequest, type MatchRequest } from '../../shared/rules/request.ts'
import type { RouterIndex, RouterSpec } from '../../shared/rules/routers.ts'
import { benchArgs } from '../support/args.ts'

benchArgs({
  name: 'bench:match',
  usage: ['npm run bench:match'],
  about: 'Router matching on tables of 1k, 10k and 100k routers: the host-first index against the linear scan; table build time and median/p99 ns per match.',
  flags: {},
})

// Deterministic pseudo-random numbers, so runs compare.
let seed = 42
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff
  return seed % n
}

function table(n: number): Array<RouterSpec<number>> {
  const hosts = Math.max(1, Math.floor(n / 5))
  const fallback = Math.min(50, Math.floor(n / 100))
  const out: Array<RouterSpec<number>> = []
  for (let i = 0; i < n; i++) {
    const host = `svc${i % hosts}.example.com`
    let rule: string
    if (i < fallback / 2) rule = `HostRegexp(\`^tenant${i}-[a-z0-9]+\\.apps\\.example\\.net$\`)`
    else if (i < fallback) rule = `PathPrefix(\`/.well-known/probe${i}\`)`
    else if (i % 10 === 0) rule = `Host(\`${host}\`) && Header(\`X-Canary\`, \`v${i}\`)`
    else if (i % 10 === 1) rule = `Host(\`${host}\`)`
    else rule = `Host(\`${host}\`) && PathPrefix(\`/api/v${i % 7}/r${i}\`)`
    out.push({ name: `router-${i}`, rule, value: i })
  }
  return out
}

function requests(n: number, count: number): MatchRequest[] {
  const hosts = Math.max(1, Math.floor(n / 5))
  return Array.from({ length: count }, () => {
    const i = rand(n)
    const url = `https://svc${i % hosts}.example.com/api/v${i % 7}/r${i}/items?page=${rand(9)}`
    return requestToMatchRequest(new Request(url), '203.0.113.7')
  })
}

function measure(index: RouterIndex<number>, reqs: MatchRequest[], samples: number, batch: number) {
  const ns: number[] = []
  let sink = 0
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint()
    for (let b = 0; b < batch; b++) sink += index.match(reqs[(s * batch + b) % reqs.length]!) ?? 0
    ns.push(Number(process.hrtime.bigint() - start) / batch)
  }
  ns.sort((a, b) => a - b)
  const at = (q: number): number => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))]!
  return { median: at(0.5), p99: at(0.99), sink }
}

function timed<T>(f: () => T): [T, number] {
  const start = performance.now()
  const v = f()
  return [v, performance.now() - start]
}

console.log('| routers | build index (ms) | index median (ns) | index p99 (ns) | build scan (ms) | scan median (ns) | scan p99 (ns) |')
console.log('|---:|---:|---:|---:|---:|---:|---:|')
for (const n of [1_000, 10_000, 100_000]) {
  const routers = table(n)
  const reqs = requests(n, 2000)
  for (const r of reqs) void r.path // the lazy routing path is per request, not per match
  // The index is measured before the scan is built, so the scan's garbage does not weigh on it.
  const [index, buildIndex] = timed(() => buildRouterIndex(routers))
  measure(index, reqs, 200, 50) // warm-up
  const ix = measure(index, reqs, 4000, 50)
  const [scan, buildScan] = timed(() => linearScan(routers))
  const scanSamples = n >= 100_000 ? 60 : n >= 10_000 ? 200 : 1000
  const ls = measure(scan, reqs, scanSamples, n >= 100_000 ? 2 : 10)
  const f = (x: number): string => x.toFixed(0)
  console.log(`| ${n} | ${f(buildIndex)} | ${f(ix.median)} | ${f(ix.p99)} | ${f(buildScan)} | ${f(ls.median)} | ${f(ls.p99)} |`)
}
