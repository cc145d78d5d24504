// `npm run edge -- --https-port N`: the websecure entry point on a second port, serving the
// TLSStore's default certificate from a Secret in the manifests (Traefik's generated default
// before there is one), and the certificate a changed Secret holds after a reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { leafCert, send, serviceYaml, startUpstream, testCa, type Pem, type Upstream } from '../support/index.ts'

const route = `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: secure, namespace: demo }
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(\`secure.test\`)
      services: [{ name: app, port: 80 }]
  tls: {}
`

const store = (pem: Pem) => `apiVersion: v1
kind: Secret
metadata: { name: cert, namespace: demo }
type: kubernetes.io/tls
data:
  tls.crt: ${Buffer.from(pem.cert).toString('base64')}
  tls.key: ${Buffer.from(pem.key).toString('base64')}
---
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: demo }
spec:
  defaultCertificate: { secretName: cert }
`

/** The subject CN of the certificate the server presents. */
function presented(url: string): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port), servername: 'secure.test', rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().subject?.CN))
      socket.end()
    })
    socket.on('error', reject)
  })
}

describe('npm run edge --https-port', () => {
  let dir: string
  let upstream: Upstream
  let npm: ChildProcess
  let httpsUrl: string
  let stderr = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-https-'))
    upstream = await startUpstream({ host: '127.0.0.22', name: 'app' })
    await writeFile(join(dir, 'backend.yaml'), serviceYaml({ name: 'app', addresses: ['127.0.0.22'], port: upstream.port }))
    await writeFile(join(dir, 'route.yaml'), route)
    npm = spawn(
      'npm',
      [
        'run',
        '--silent',
        'edge',
        '--',
        '--manifests',
        dir,
        '--port',
        '0',
        '--https-port',
        '0',
        '--persist-to',
        join(dir, 'kv'),
        '--state-dir',
        join(dir, 'state'),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    npm.stdout!.on('data', (c: Buffer) => (stdout += c))
    httpsUrl = await new Promise<string>((resolve, reject) => {
      npm.stderr!.on('data', (c: Buffer) => {
        stderr += c
        const m = /serving HTTPS at (https:\/\/127\.0\.0\.1:\d+)\n/.exec(stderr)
        if (m && /^ready /m.test(stdout)) resolve(m[1]!)
      })
      npm.stdout!.on('data', () => {
        const m = /serving HTTPS at (https:\/\/127\.0\.0\.1:\d+)\n/.exec(stderr)
        if (m && /^ready /m.test(stdout)) resolve(m[1]!)
      })
      npm.once('exit', (code) => reject(new Error(`npm run edge exited ${code}:\n${stderr}`)))
      setTimeout(() => reject(new Error(`not serving:\n${stderr}`)), 60_000).unref()
    })
  })
  afterAll(async () => {
    if (npm?.exitCode === null) {
      const exited = new Promise((r) => npm.once('exit', r))
      npm.kill('SIGTERM')
      await exited
    }
    await upstream?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it("serves Traefik's generated default certificate when the manifests have none", async () => {
    expect(await presented(httpsUrl)).toBe('TRAEFIK DEFAULT CERT')
  })

  it("serves the TLSStore's default certificate once the manifests give one, and routes websecure", async () => {
    await writeFile(join(dir, 'store.yaml'), store(leafCert({ dns: ['secure.test'] })))
    const deadline = Date.now() + 10_000
    while ((await presented(httpsUrl).catch(() => '')) !== 'secure.test') {
      expect(Date.now(), stderr).toBeLessThan(deadline)
      await new Promise((r) => setTimeout(r, 100))
    }
    const res = await send(`${httpsUrl}/x`, { headers: { host: 'secure.test' }, ca: testCa().cert })
    expect(res.status, res.body).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ server: 'app', url: '/x' })
    expect(upstream.requests.at(-1)!.headers['x-forwarded-proto']).toBe('https')
  })
})
