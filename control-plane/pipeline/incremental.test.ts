// File mode's table stage (TableInterner + IncrementalSplit kept across builds, packTable's
// memory of the last pack) against a fresh full build, over random sequences of cluster changes:
// the split table, every packed blob and the manifest must be byte-identical after every change.
// (The controller's incremental pipeline has its own test: pipeline/incremental/.)
import { describe, expect, it } from 'vitest'
import { compile } from '../compiler/index.ts'
import type { KubeObject } from '../compiler/snapshot/kube-types.ts'
import { packTable } from '../../shared/kv/pack-table.ts'
import { edgeTableStage } from './edge-table.ts'
import { splitTableByHost } from '../../shared/table/split.ts'
import { TABLE_SCHEMA_VERSION } from '../../shared/table/schema.ts'
import { leafCert } from '../../test/support/certs.ts'
import { prng } from '../../test/support/prng.ts'
import { buildEdgeTable } from '../table/build-edge-table.ts'

const NS = 'demo'
const HOSTS = ['a.example', 'b.example', 'c.example', 'd.example']
const SERVICES = ['s1', 's2', 's3']
const MIDDLEWARES = ['strip', 'hdr', 'errs', 'chain']
const TLS_OPTIONS = ['modern', 'old']
const SECRETS = ['cert-a', 'cert-b']
const PEMS = [leafCert({ dns: ['a.example'] }), leafCert({ dns: ['b.example'] })]

function secret(name: string, r: () => number): KubeObject {
  const pem = PEMS[Math.floor(r() * PEMS.length)]!
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(pem.cert), 'tls.key': b64(pem.key) },
  } as KubeObject
}

function service(name: string, port: number, addresses: string[]): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port }],
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    },
  ] as KubeObject[]
}

function middleware(name: string, r: () => number): KubeObject {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!
  const spec =
    name === 'strip'
      ? { stripPrefix: { prefixes: [pick(['/api', '/v1', '/x'])] } }
      : name === 'hdr'
        ? { headers: { customRequestHeaders: { 'X-Step': String(Math.floor(r() * 5)) } } }
        : name === 'errs'
          ? { errors: { status: ['500-599'], service: { name: pick(SERVICES), port: 80 }, query: '/{status}' } }
          : { chain: { middlewares: [{ name: 'strip' }, { name: pick(['hdr', 'nope']) }] } }
  return { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name, namespace: NS }, spec } as KubeObject
}

function tlsOption(name: string, r: () => number): KubeObject {
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'TLSOption',
    metadata: { name, namespace: NS },
    spec: { minVersion: r() < 0.5 ? 'VersionTLS12' : 'VersionTLS13' },
  } as KubeObject
}

function ingressRoute(name: string, r: () => number): KubeObject {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!
  const host = pick(HOSTS)
  const match = pick([
    `Host(\`${host}\`)`,
    `Host(\`${host}\`) && PathPrefix(\`/${name}\`)`,
    `PathPrefix(\`/${name}\`)`,
    `HostRegexp(\`^.+\\.example$\`) && Path(\`/${name}\`)`,
  ])
  const services =
    r() < 0.25
      ? [
          { name: pick(SERVICES), port: 80, weight: 1 },
          { name: pick(SERVICES), port: 80, weight: 2 },
        ]
      : [{ name: pick([...SERVICES, 'missing']), port: 80 }]
  const middlewares = MIDDLEWARES.filter(() => r() < 0.3).map((m) => ({ name: m }))
  const spec: Record<string, unknown> = {
    entryPoints: r() < 0.5 ? ['web'] : ['websecure'],
    routes: [{ kind: 'Rule', match, services, ...(middlewares.length ? { middlewares } : {}) }],
  }
  if (r() < 0.5) spec.tls = r() < 0.4 ? { options: { name: pick(TLS_OPTIONS) } } : { secretName: pick([...SECRETS, 'no-such-secret']) }
  return { apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name, namespace: NS }, spec } as KubeObject
}

/** The cluster as a map from kind/name to its objects; each step replaces, adds or deletes one. */
function cluster(r: () => number): Map<string, KubeObject[]> {
  const objects = new Map<string, KubeObject[]>()
  for (const [i, s] of SERVICES.entries()) objects.set(`svc/${s}`, service(s, 8000 + i, [`10.0.0.${i + 1}`]))
  for (const m of MIDDLEWARES) objects.set(`mw/${m}`, [middleware(m, r)])
  for (const t of TLS_OPTIONS) objects.set(`tls/${t}`, [tlsOption(t, r)])
  for (const c of SECRETS) objects.set(`secret/${c}`, [secret(c, r)])
  for (let i = 0; i < 12; i++) objects.set(`ir/r${i}`, [ingressRoute(`r${i}`, r)])
  return objects
}

function change(objects: Map<string, KubeObject[]>, r: () => number): void {
  const roll = r()
  if (roll < 0.45) {
    const name = `r${Math.floor(r() * 16)}`
    if (objects.has(`ir/${name}`) && r() < 0.3) objects.delete(`ir/${name}`)
    else objects.set(`ir/${name}`, [ingressRoute(name, r)])
  } else if (roll < 0.65) {
    const i = Math.floor(r() * SERVICES.length)
    const s = SERVICES[i]!
    if (objects.has(`svc/${s}`) && r() < 0.2) objects.delete(`svc/${s}`)
    else objects.set(`svc/${s}`, service(s, 8000 + Math.floor(r() * 3), [`10.0.0.${1 + Math.floor(r() * 3)}`]))
  } else if (roll < 0.85) {
    const m = MIDDLEWARES[Math.floor(r() * MIDDLEWARES.length)]!
    if (objects.has(`mw/${m}`) && r() < 0.2) objects.delete(`mw/${m}`)
    else objects.set(`mw/${m}`, [middleware(m, r)])
  } else if (roll < 0.92) {
    const c = SECRETS[Math.floor(r() * SECRETS.length)]!
    if (objects.has(`secret/${c}`) && r() < 0.3) objects.delete(`secret/${c}`)
    else objects.set(`secret/${c}`, [secret(c, r)])
  } else {
    const t = TLS_OPTIONS[Math.floor(r() * TLS_OPTIONS.length)]!
    if (objects.has(`tls/${t}`) && r() < 0.3) objects.delete(`tls/${t}`)
    else objects.set(`tls/${t}`, [tlsOption(t, r)])
  }
}

async function packed(routes: unknown, endpoints: unknown) {
  // Small buckets, so that several buckets exist and most survive a change.
  const { manifest, blobs } = await packTable(
    { schema: TABLE_SCHEMA_VERSION, routes: routes as never, endpoints },
    { shardThresholdBytes: 0, bucketTargetBytes: 512 },
  )
  return { manifest, blobs: [...blobs].sort(([a], [b]) => (a < b ? -1 : 1)) }
}

describe('incremental edge table', () => {
  for (const seed of [1, 2, 3]) {
    it(`gives the full build's table, blobs and manifest after each of 40 random changes (seed ${seed})`, async () => {
      const r = prng(seed)
      const objects = cluster(r)
      const incremental = edgeTableStage({ entryPoint: 'web', entryPoints: ['web', 'websecure'] })
      let reusedParts = 0
      let previousHosts: Record<string, unknown> = {}
      for (let step = 0; step < 40; step++) {
        if (step > 0) change(objects, r)
        const snapshot = { objects: [...objects.values()].flat() }
        const compiled = compile(snapshot)
        const { config } = compile(snapshot)
        const built = incremental(compiled.config)
        const routes = built.table.routes as ReturnType<typeof splitTableByHost>
        const full = buildEdgeTable(config, { target: 'workerd', entryPoints: ['web', 'websecure'] })
        const fullRoutes = splitTableByHost(full.table)
        expect(JSON.stringify(routes), `step ${step}`).toBe(JSON.stringify(fullRoutes))
        expect(await packed(routes, built.table.endpoints), `step ${step}`).toEqual(await packed(fullRoutes, full.endpoints))
        for (const [host, part] of Object.entries(routes.hosts)) if (previousHosts[host] === part) reusedParts++
        previousHosts = routes.hosts
      }
      // The sequence did exercise reuse (a part kept from the build before), not only rebuilds.
      expect(reusedParts).toBeGreaterThan(10)
    })
  }
})
