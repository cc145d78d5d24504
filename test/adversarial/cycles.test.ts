/**
 * References that loop: a middleware chain that includes itself through another, weighted
 * TraefikServices naming each other, a mirroring service that mirrors itself, an errors
 * middleware whose page service is in such a loop. This held when the adversarial review ran
 * (issue 17): the build ends at once, says which objects loop, does not serve them, and serves
 * the rest. Kept here so it does not come back: manifests (test/data/adversarial/cycles.yaml)
 * through the real compiler CLI and the edge on workerd.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { runCli } from '../support/cli.ts'
import { startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

const MANIFESTS = join(import.meta.dirname, '../data/adversarial/cycles.yaml')

let up: Upstream
let edge: TestEdge
let problems: string[]

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2', name: 'whoami' })
  // The Service's endpoints: the echo upstream.
  const yaml = `${readFileSync(MANIFESTS, 'utf8')}---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: whoami-1, namespace: default, labels: { kubernetes.io/service-name: whoami } }
addressType: IPv4
ports: [{ name: http, port: ${up.port} }]
endpoints: [{ addresses: [127.0.0.2], conditions: { ready: true } }]
`
  edge = await startEdge()
  ;({ problems } = await edge.apply({ yaml }))
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

const status = async (host: string) => (await edge.request('/', { headers: { host } })).status

describe('references that loop', () => {
  it("npm run compile ends at once with Traefik's configuration (Traefik reports loops when it builds its handlers)", async () => {
    const start = performance.now()
    const run = await runCli(join(REPO_ROOT, 'control-plane/cli/compile.ts'), ['--allow-empty-services', MANIFESTS])
    expect(run.code, run.stderr).toBe(0)
    expect(performance.now() - start).toBeLessThan(20_000)
    expect(Object.keys(JSON.parse(run.stdout).http.routers)).toHaveLength(5)
  })

  it('the edge says which objects loop and serves none of them', () => {
    const text = problems.join('\n')
    // Traefik's words, said of the objects and fields the loop runs through.
    const chain =
      'recursion detected in middleware:default-chain-a@kubernetescrd->middleware:default-chain-b@kubernetescrd->middleware:default-chain-a@kubernetescrd'
    expect(text).toContain(`Middleware default/chain-a: could not instantiate middleware default-chain-a@kubernetescrd: ${chain}`)
    expect(text).toContain(`IngressRoute default/r: spec.routes[0].middlewares[0]: could not instantiate middleware default-chain-a@kubernetescrd: ${chain}`)
    expect(text).toMatch(/^TraefikService default\/ts-a: could not instantiate service default-ts-a@kubernetescrd: recursion detected in service:/m)
    expect(text).toMatch(/^TraefikService default\/ts-m: .*recursion detected in service:default-ts-m@kubernetescrd->service:default-ts-m@kubernetescrd/m)
    expect(text).toMatch(/^Middleware default\/oops: spec\.errors\.service: .*the routes using it answer 500/m)
  })

  it('serves the rest', async () => {
    expect(await status('fine.example')).toBe(200)
    expect(await status('chain.example')).toBe(404)
    expect(await status('weighted.example')).toBe(404)
    expect(await status('mirror.example')).toBe(404)
    expect(await status('errors.example')).toBe(500)
  })
})
