// The shipped wrangler.toml, run by a real `wrangler dev` in the local form `npm run edge` writes
// (wrangler.local.json: the VPC Network binding replaced by the tunnel stand-in under the same
// name), serving HTTPS: a websecure route with `tls`, built as the controller builds it for
// Cloudflare, answers an https request from a pod reached through the VPC_NETWORK binding. Offline,
// without any Cloudflare account or token.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseControllerArgs } from '../../control-plane/cli/controller.ts'
import { openWranglerLocalKv } from '../../control-plane/kv/wrangler-local-store.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { loadOrCreateDevSigningKey } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { writeLocalWranglerConfig } from '../../control-plane/runtime/wrangler-local-config.ts'
import { buildEdgeInput, send, serviceYaml, startUpstream, type Echo, type Upstream } from '../support/index.ts'
import { startWranglerDev, type WranglerDev } from '../support/wrangler-dev.ts'

describe('wrangler dev on the shipped configuration', () => {
  let dir: string | undefined
  let wrangler: WranglerDev | undefined
  let pod: Upstream | undefined

  afterAll(async () => {
    await wrangler?.stop()
    await pod?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('serves an https request to a websecure + tls route from a pod through the tunnel stand-in', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wrangler-dev-'))
    pod = await startUpstream({ host: '127.0.0.61', name: 'pod' })
    const config = await writeLocalWranglerConfig(join(dir, 'wrangler.json'))
    const local = JSON.parse(await readFile(config, 'utf8')) as Record<string, unknown>
    // Everything of wrangler.toml but the VPC Network, which is the worker's own LocalTunnel entrypoint.
    expect(local.vpc_networks).toBeUndefined()
    expect(local.services).toEqual([{ binding: 'VPC_NETWORK', service: 'traefik-edge', entrypoint: 'LocalTunnel' }])
    expect(local.vars).toMatchObject({ ENTRYPOINT_BY_SCHEME: 'http=web,https=websecure' })
    // nodejs_compat (node:zlib) comes with the date; stated, it makes workerd warn at every start.
    expect(local.compatibility_flags ?? []).toEqual([])
    expect(String(local.compatibility_date) >= '2026-08-04').toBe(true)

    const persistTo = join(dir, 'state')
    const signer = await loadOrCreateDevSigningKey(join(dir, 'key.jwk.json'))
    const { entryPoints, target } = parseControllerArgs(['--sink', 'cloudflare'], {})
    const yaml = `${serviceYaml({ name: 'app', namespace: 'shop', addresses: [pod.host], port: pod.port })}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: shop }
spec:
  entryPoints: [websecure]
  routes: [{ match: Host(\`app.example\`), services: [{ name: app, port: 80 }] }]
  tls: {}
`
    const built = buildEdgeInput({ yaml }, { target, entryPoint: entryPoints[0], entryPoints })
    const store = await openWranglerLocalKv({ configPath: join(REPO_ROOT, 'wrangler.toml'), persistTo })
    try {
      const publisher = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
      await publisher.publish(built.table)
    } finally {
      await store.close()
    }

    wrangler = await startWranglerDev(
      ['--config', config, '--persist-to', persistTo, '--local-protocol', 'https', '--var', `TABLE_JWKS:${JSON.stringify(signer.jwks)}`],
      {
        cwd: dir,
        // No token, no account: everything local.
        env: { CLOUDFLARE_API_TOKEN: '', HOME: dir },
      },
    )
    const { url } = wrangler
    const output = wrangler.output()
    expect(output).toMatch(/env\.VPC_NETWORK \(traefik-edge#LocalTunnel\)\s+Worker\s+local/)
    expect(output).not.toMatch(/WARNING|remote binding|API token/i)
    const res = await send(`${url}/cart?id=1`, { headers: { host: 'app.example' }, insecure: true })
    expect(res.status, `${res.body}\n${output}`).toBe(200)
    const echo = JSON.parse(res.body) as Echo
    expect(echo.server).toBe('pod')
    expect(echo.url).toBe('/cart?id=1')
    // The pod got the client's Host: the request went through the stand-in, not fetch().
    expect(echo.headers.host).toBe('app.example')
    expect(echo.headers['x-forwarded-proto']).toBe('https')
  }, 120_000)
})
