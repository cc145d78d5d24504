// The self-hosted files run as they are under `workerd serve`, reading tables the local key
// signed from the KV service they were pointed at.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { serveKvForWorkerd, type KvHttpServer } from '../../control-plane/kv/workerd-kv-server.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { loadOrCreateDevSigningKey } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { emitSelfHostedEdge } from '../../control-plane/runtime/self-hosted.ts'
import { startWorkerd, type WorkerdProcess } from '../../control-plane/runtime/workerd-process.ts'
import { send } from '../support/http.ts'
import { connect } from 'node:tls'
import { readFile, writeFile } from 'node:fs/promises'
import { main as edgeCli } from '../../control-plane/cli/edge.ts'
import { leafCert, testCa } from '../support/certs.ts'
import { caSecretYaml, serversTransportYaml, serviceYaml, tlsSecretYaml } from '../support/manifests.ts'
import { PROBE_SCHEMA } from '../support/fixtures/probe-schema.ts'

describe('self-hosted workerd files', () => {
  let dir: string | undefined
  let kv: KvHttpServer | undefined
  let workerd: WorkerdProcess | undefined
  afterAll(async () => {
    await workerd?.stop()
    await kv?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('serve the published table on the configured entry point', async () => {
    dir = await mkdtemp(join(tmpdir(), 'self-hosted-'))
    const store = createMemoryKvStore()
    kv = await serveKvForWorkerd(store)
    const config = await emitSelfHostedEdge({
      dir: join(dir, 'out'),
      stateDir: join(dir, 'state'),
      entryPoint: 'websecure',
      port: 0,
      kvAddress: kv.address,
      workerEntry: join(REPO_ROOT, 'test/support/fixtures/table-probe-worker.ts'),
    })
    const signer = await loadOrCreateDevSigningKey(join(dir, 'state', 'signing-key.jwk.json'))
    const publisher = await TablePublisher.open({ store, signer })
    await publisher.publish({ schema: PROBE_SCHEMA, routes: { rest: { r: 1 }, hosts: {} }, endpoints: {} })
    workerd = await startWorkerd({ configPath: config, sockets: ['websecure'], log: () => {} })
    const res = await send(`http://127.0.0.1:${workerd.ports.get('websecure')}/`, { headers: { host: 'x.test' } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ host: 'x.test', parts: [{ r: 1 }], endpoints: { services: {} } })
  })

  it("with --https-port, the emitted config serves HTTPS with the manifests' default certificate and TLS options", async () => {
    const root = await mkdtemp(join(tmpdir(), 'self-hosted-tls-'))
    const store = createMemoryKvStore()
    const kvServer = await serveKvForWorkerd(store)
    let proc: WorkerdProcess | undefined
    try {
      const pem = leafCert({ dns: ['site.test'] })
      await writeFile(
        join(root, 'tls.yaml'),
        `apiVersion: v1
kind: Secret
metadata: { name: cert, namespace: demo }
type: kubernetes.io/tls
data: { tls.crt: ${Buffer.from(pem.cert).toString('base64')}, tls.key: ${Buffer.from(pem.key).toString('base64')} }
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: demo }
spec: { defaultCertificate: { secretName: cert } }
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: default, namespace: demo }
spec: { minVersion: VersionTLS13 }
`,
      )
      const { code, out, err } = await emit(root, kvServer.address, 'tls.yaml', ['--https-port', '0'])
      expect(code, err).toBe(0)
      expect(err).toBe('')
      const config = out.trim().replace(/^workerd serve /, '')
      proc = await startWorkerd({ configPath: config, sockets: ['web', 'websecure'], log: () => {} })
      const port = proc.ports.get('websecure')!
      const handshake = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
        new Promise<string>((resolve) => {
          const socket = connect({ host: '127.0.0.1', port, servername: 'site.test', rejectUnauthorized: false, maxVersion }, () => {
            resolve(`${socket.getProtocol()} ${socket.getPeerCertificate().subject?.CN}`)
            socket.end()
          })
          socket.on('error', () => resolve('refused'))
        })
      expect(await handshake('TLSv1.3')).toBe('TLSv1.3 site.test')
      expect(await handshake('TLSv1.2')).toBe('refused')
    } finally {
      await proc?.stop()
      await kvServer.close()
      await rm(root, { recursive: true, force: true })
    }
  })

  it('with --manifests, the emitted config gives each serversTransport its own network (CAs, client certificate)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'self-hosted-st-'))
    const kvServer = await serveKvForWorkerd(createMemoryKvStore())
    let proc: WorkerdProcess | undefined
    try {
      const ca = testCa().cert
      const client = leafCert({ dns: ['edge-client'] })
      await writeFile(
        join(root, 'st.yaml'),
        `${caSecretYaml({ name: 'ca', ca })}---
${tlsSecretYaml({ name: 'client', ...client })}---
${serversTransportYaml({ name: 'st', spec: '{ serverName: a.internal, rootCAsSecrets: [ca], certificatesSecrets: [client] }' })}---
${serviceYaml({ name: 'app', addresses: ['10.0.0.1'], port: 8443 })}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: demo }
spec:
  routes: [{ match: Host(\`a.test\`), services: [{ name: app, port: 80, scheme: https, serversTransport: st }] }]
`,
      )
      const { code, out, err } = await emit(root, kvServer.address, 'st.yaml')
      expect(code, err).toBe(0)
      const configPath = out.trim().replace(/^workerd serve /, '')
      const text = await readFile(configPath, 'utf8')
      const binding = /\(name = "(UPSTREAM_TLS_[0-9a-f]{16})", service = "upstream-tls-upstream_tls_[0-9a-f]{16}"\)/.exec(text)?.[1]
      expect(binding, text.slice(0, 2000)).toBeDefined()
      // Only the transport's CA (not the system's), and its keypair: workerd accepts the config.
      expect(text).toMatch(/network = \(allow = \[[^\]]*\], tlsOptions = \(trustBrowserCas = false, trustedCertificates = \["-----BEGIN CERTIFICATE-----/)
      expect(text).toContain('keypair = (privateKey = "-----BEGIN PRIVATE KEY-----')
      proc = await startWorkerd({ configPath, sockets: ['web'], log: () => {} })
      expect(proc.ports.get('web')).toBeGreaterThan(0)
    } finally {
      await proc?.stop()
      await kvServer.close()
      await rm(root, { recursive: true, force: true })
    }
  })
})

/** `npm run edge -- --emit-workerd` into ROOT/out for the manifests file ROOT/FILE (a CLI run in this process). */
async function emit(root: string, kvAddress: string, file: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await edgeCli(
    [
      '--emit-workerd',
      join(root, 'out'),
      '--kv-address',
      kvAddress,
      '--port',
      '0',
      ...extra,
      '--manifests',
      join(root, file),
      '--state-dir',
      join(root, 'state'),
    ],
    { stdout: (t) => (out += t), stderr: (t) => (err += t) },
  )
  return { code, out, err }
}
