// Dynamic configurations of N routers for the proxy benchmark: one exact host per router
// (`Host && PathPrefix`), every router with its own service of two servers, all pointing at the
// benchmark's one upstream, plus a few host-regexp and host-less routers every request also tries.
import type { DynamicConfig, Router, Service } from '../../shared/dynamic/types.ts'

export function benchHost(i: number): string {
  return `app-${i}.bench.example`
}

export function proxyConfig(routers: number, upstream: string, passHostHeader: boolean): DynamicConfig {
  const r: Record<string, Router> = {}
  const s: Record<string, Service> = {}
  for (let i = 0; i < routers; i++) {
    r[`r${i}`] = { rule: `Host(\`${benchHost(i)}\`) && PathPrefix(\`/\`)`, service: `s${i}`, middlewares: i % 2 ? ['strip'] : [] }
    s[`s${i}`] = { loadBalancer: { servers: [{ url: upstream }, { url: upstream }], passHostHeader } }
  }
  for (let i = 0; i < 10; i++) {
    r[`re${i}`] = { rule: `HostRegexp(\`^other-${i}\\.example$\`)`, service: 's0' }
    r[`path${i}`] = { rule: `PathPrefix(\`/never-${i}\`)`, service: 's0' }
  }
  return { http: { routers: r, services: s, middlewares: { strip: { stripPrefix: { prefixes: ['/strip'] } } } } }
}
