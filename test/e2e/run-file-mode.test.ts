// File mode on real YAML, through the same local store `npm run edge` uses (wrangler's): compile ->
// publish -> the probe worker on workerd serves it; a file change is served within 2 s; a broken
// change is reported and the last good table keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openWranglerLocalKv } from '../../control-plane/kv/wrangler-local-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import type { Built } from '../../control-plane/pipeline/built.ts'
import { startFileMode, type FileMode } from '../../control-plane/pipeline/file-mode.ts'
import { REPO_ROOT, startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { manifestPipeline } from '../../control-plane/pipeline/pipeline.ts'
import { send } from '../support/http.ts'
import { ingressRouteYaml, serviceYaml } from '../support/manifests.ts'
import { PROBE_SCHEMA } from '../support/fixtures/probe-schema.ts'

const route = (host: string) => ingressRouteYaml({ name: 'r', match: `Host(\`${host}\`)`, service: 'whoami' })
const SERVICE = serviceYaml({ name: 'whoami', addresses: ['127.0.0.9'], port: 8080 })

async function servedRules(edge: LocalEdge): Promise<string[]> {
  const res = await send(edge.url(), { headers: { host: 'probe.test' } })
  expect(res.status).toBe(200)
  const config = JSON.parse(res.body).parts[0]
  return Object.values(config.http.routers as Record<string, { rule: string }>).map((r) => r.rule)
}

describe('file mode', () => {
  let dir: string
  let edge: LocalEdge
  let store: KvStore
  let mode: FileMode
  const reports: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-mode-'))
    await writeFile(join(dir, 'service.yaml'), SERVICE)
    await writeFile(join(dir, 'route.yaml'), route('a.example'))
    store = await openWranglerLocalKv({ configPath: join(REPO_ROOT, 'wrangler.toml'), persistTo: `${dir}-state/kv` })
    edge = await startLocalEdge({
      store,
      stateDir: `${dir}-state`,
      workerEntry: join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts'),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    })
    const build = manifestPipeline({}, (config) => ({
      table: { schema: PROBE_SCHEMA, routes: { rest: config, hosts: {} }, endpoints: {} },
      problems: [],
      trustedCertificates: [],
      channels: [],
      directUpstreams: [],
    }))
    const publish = (built: Built) => edge.publish(built.table)
    mode = await startFileMode({ paths: [join(dir, 'service.yaml'), dir], build, publish, report: (l) => reports.push(l) })
  })
  afterAll(async () => {
    mode?.stop()
    await edge?.stop()
    await store?.close()
    await rm(dir, { recursive: true, force: true })
    await rm(`${dir}-state`, { recursive: true, force: true })
  })

  it('serves the compiled manifests', async () => {
    expect(await servedRules(edge)).toEqual(['Host(`a.example`)'])
  })

  it('serves a changed file within 2 seconds', async () => {
    const changed = Date.now()
    await writeFile(join(dir, 'route.yaml'), route('b.example'))
    while ((await servedRules(edge))[0] !== 'Host(`b.example`)') {
      expect(Date.now() - changed).toBeLessThan(2000)
      await new Promise((r) => setTimeout(r, 25))
    }
  })

  it('keeps the last good table when a change cannot be parsed, and says why', async () => {
    reports.length = 0
    await writeFile(join(dir, 'route.yaml'), 'kind: IngressRoute\nspec: [unclosed\n')
    await mode.idle()
    await new Promise((r) => setTimeout(r, 400))
    await mode.idle()
    expect(reports.join('\n')).toMatch(/route\.yaml.*still serving the last good configuration/s)
    expect(await servedRules(edge)).toEqual(['Host(`b.example`)'])
    await writeFile(join(dir, 'route.yaml'), route('c.example'))
    const fixed = Date.now()
    while ((await servedRules(edge))[0] !== 'Host(`c.example`)') {
      expect(Date.now() - fixed).toBeLessThan(2000)
      await new Promise((r) => setTimeout(r, 25))
    }
  })

  it('reports skipped objects on stderr lines', async () => {
    reports.length = 0
    await writeFile(join(dir, 'route.yaml'), ingressRouteYaml({ name: 'r', match: 'Host(`d.example`)', service: 'missing' }))
    const start = Date.now()
    while (!reports.some((l) => l.startsWith('IngressRoute demo/r: '))) {
      expect(Date.now() - start).toBeLessThan(2000)
      await new Promise((r) => setTimeout(r, 25))
    }
  })
})
