/**
 * Secrets on disk and dashboards on the network (issue 17, item 8), through the real CLIs.
 *
 * - `npm run edge -- --emit-workerd` wrote config.capnp, which embeds the SECRETS_KEY private JWK
 *   (and HTTPS private keys), world-readable (0644): it is written 0600, as every key file is.
 * - The controller's ops and dashboard port listened on 0.0.0.0 without authentication: it binds
 *   to loopback unless told otherwise (`--ops-address`), refuses to put the dashboard on another
 *   address without a token (or `--dashboard-insecure`, as Traefik's `api.insecure`), and takes a
 *   token as a bearer token or as a Basic password.
 * - Every dashboard answered any Host header (DNS rebinding: a page on evil.example resolving to
 *   127.0.0.1 could read it): only loopback names, IP literals and the names given with
 *   `--dashboard-host` are answered, on every path of the server.
 */
import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveKvForWorkerd } from '../../control-plane/kv/workerd-kv-server.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { serviceObjects } from '../support/apiserver/objects.ts'
import { runCli } from '../support/cli.ts'
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.ts'
import { cloudflareKvEnv, startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'
import { send } from '../support/http.ts'
import { spawnNpmEdge } from '../support/npm-edge.ts'
import { leafCert } from '../support/certs.ts'
import { defaultCertificateYaml } from '../support/manifests.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adversarial-ops-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const mode = async (path: string) => (await stat(path)).mode & 0o777

/** The local address a TCP port listens on, from /proc/net/tcp (Linux): `127.0.0.1` or `0.0.0.0`. */
function listeningAddress(port: number): string | null {
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/)
    if (!local || state !== '0A') continue // LISTEN
    const [hex, p] = local.split(':')
    if (Number.parseInt(p!, 16) !== port) continue
    return [3, 2, 1, 0].map((i) => Number.parseInt(hex!.slice(i * 2, i * 2 + 2), 16)).join('.')
  }
  return null
}

describe('--emit-workerd', () => {
  it('writes config.capnp (the secrets key, TLS keys) and every key file 0600, also over an existing 0644 file', async () => {
    const kv = await serveKvForWorkerd(createMemoryKvStore())
    try {
      const out = join(dir, 'self-hosted')
      const state = join(dir, 'state')
      const pem = leafCert({ dns: ['site.test'] })
      await writeFile(join(dir, 'tls.yaml'), defaultCertificateYaml(pem))
      const args = [
        '--emit-workerd',
        out,
        '--kv-address',
        kv.address,
        '--port',
        '0',
        '--https-port',
        '0',
        '--manifests',
        join(dir, 'tls.yaml'),
        '--state-dir',
        state,
      ]
      const first = await runCli(join(REPO_ROOT, 'control-plane/cli/edge.ts'), args)
      expect(first.code, first.stderr).toBe(0)
      const config = join(out, 'config.capnp')
      const text = readFileSync(config, 'utf8')
      expect(text).toContain('SECRETS_KEY')
      expect(text).toContain('PRIVATE KEY')
      expect(await mode(config)).toBe(0o600)
      for (const key of ['signing-key.jwk.json', 'secrets-key.jwk.json']) expect(await mode(join(state, key)), key).toBe(0o600)
      // Emitted again over a file someone made readable: made private again.
      await chmod(config, 0o644)
      const again = await runCli(join(REPO_ROOT, 'control-plane/cli/edge.ts'), args)
      expect(again.code, again.stderr).toBe(0)
      expect(await mode(config)).toBe(0o600)
    } finally {
      await kv.close()
    }
  })
})

describe('the controller ops server and its dashboard', () => {
  let api: TestApiServer
  let kv: FakeCloudflareKv
  let kubeconfig: string
  const started: ControllerProcess[] = []

  beforeAll(async () => {
    api = await startApiServer({ tls: true })
    kv = await startFakeCloudflareKv()
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: 9 }))
    kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfig())
  }, 60_000)

  afterAll(async () => {
    for (const c of started) await c.stop()
    await kv?.close()
    await api?.close()
  })

  const flags = (...more: string[]) => [
    '--kubeconfig',
    kubeconfig,
    '--sink',
    'cloudflare',
    '--target',
    'workerd',
    '--state-dir',
    join(dir, 'controller-state'),
    '--no-leader-election',
    '--ops-port',
    '0',
    '--dashboard',
    ...more,
  ]
  const controller = async (...more: string[]) => {
    const c = await startControllerProcess(flags(...more), cloudflareKvEnv(kv))
    started.push(c)
    return c
  }
  const get = (url: string, headers: Record<string, string> = {}) => send(url, { headers })

  it('listens on loopback by default and answers only Hosts that name it', async () => {
    const c = await controller()
    const port = Number(new URL(c.opsUrl).port)
    expect(listeningAddress(port)).toBe('127.0.0.1')
    for (const path of ['/dashboard/api/state', '/healthz', '/metrics']) {
      expect((await get(`${c.opsUrl}${path}`, { host: 'evil.example' })).status, path).toBe(403)
      expect((await get(`${c.opsUrl}${path}`, { host: `evil.example:${port}` })).status, path).toBe(403)
    }
    expect((await get(`${c.opsUrl}/healthz`, { host: `127.0.0.1:${port}` })).status).toBe(200)
    expect((await get(`${c.opsUrl}/healthz`, { host: `localhost:${port}` })).status).toBe(200)
    expect((await get(`${c.opsUrl}/dashboard/`, { host: `localhost:${port}` })).status).toBe(200)
  })

  it('refuses to serve the dashboard on another address without a token', async () => {
    await expect(controller('--ops-address', '0.0.0.0')).rejects.toThrow(/exited 2.*--dashboard-token-file/s)
  })

  it('asks for the token on every dashboard path once given one; probes and metrics stay open', async () => {
    const tokenFile = join(dir, 'dashboard-token')
    await writeFile(tokenFile, 's3cret-token\n', { mode: 0o600 })
    const c = await controller('--ops-address', '0.0.0.0', '--dashboard-token-file', tokenFile, '--dashboard-host', 'edge-controller.internal')
    const port = Number(new URL(c.opsUrl).port)
    expect(listeningAddress(port)).toBe('0.0.0.0')
    const host = { host: `edge-controller.internal:${port}` }
    for (const path of ['/dashboard/', '/dashboard/api/state', '/dashboard/api/diff', '/dashboard/api/anything']) {
      const res = await get(`${c.opsUrl}${path}`, host)
      expect(res.status, path).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm=/)
    }
    expect((await get(`${c.opsUrl}/dashboard/`, { ...host, authorization: 'Bearer wrong' })).status).toBe(401)
    expect((await get(`${c.opsUrl}/dashboard/`, { ...host, authorization: 'Bearer s3cret-token' })).status).toBe(200)
    const basic = `Basic ${Buffer.from('anyone:s3cret-token').toString('base64')}`
    expect((await get(`${c.opsUrl}/dashboard/`, { ...host, authorization: basic })).status).toBe(200)
    expect((await get(`${c.opsUrl}/healthz`, host)).status).toBe(200)
    expect((await get(`${c.opsUrl}/metrics`, host)).status).toBe(200)
    expect((await get(`${c.opsUrl}/healthz`, { host: `evil.example:${port}` })).status).toBe(403)
  })
})

describe('the dashboard of npm run edge', () => {
  it('answers only Hosts that name it, and asks for a token when given one', async () => {
    const tokenFile = join(dir, 'edge-dashboard-token')
    await writeFile(tokenFile, 'edge-token\n', { mode: 0o600 })
    await writeFile(join(dir, 'empty.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: demo }\n')
    const edge = await spawnNpmEdge([
      '--manifests',
      join(dir, 'empty.yaml'),
      '--port',
      '0',
      '--state-dir',
      join(dir, 'edge-state'),
      '--persist-to',
      join(dir, 'wrangler'),
      '--dashboard-token-file',
      tokenFile,
    ])
    try {
      const url = /dashboard at (\S+)/.exec(edge.stdout() + edge.stderr())?.[1]
      expect(url).toBeDefined()
      const port = new URL(url!).port
      expect((await send(`${url}api/state`, { headers: { host: `evil.example:${port}`, authorization: 'Bearer edge-token' } })).status).toBe(403)
      expect((await send(`${url}api/state`, { headers: { host: `127.0.0.1:${port}` } })).status).toBe(401)
      const ok = await send(`${url}`, { headers: { host: `localhost:${port}`, authorization: 'Bearer edge-token' } })
      expect(ok.status).toBe(200)
    } finally {
      await edge.stop()
    }
  })
})
