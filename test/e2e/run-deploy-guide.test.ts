// docs/deploy.md, run as written. The guide is this test's input: its `sh` blocks are read out of
// the file and run in order, in one shell session (exported variables carry from block to block), in
// a copy of the repository, against the local fake of Cloudflare's API (wrangler and curl reach it
// through CLOUDFLARE_API_BASE_URL, the one variable the guide does not set) and the project's test
// API server: the real kubectl (KUBECONFIG pointing at it) creates the namespace and the Secrets and
// applies the CRDs and deploy/, as it would on a cluster. `sh manual` blocks (docker, pods and their
// logs, port-forward) are not run; the values block is given the test's own values.
//
// Then what the guide produced is put to work: the Deployment and the Secrets are read back from the
// API server, and the controller runs with the Deployment's flags and environment, the Secrets'
// files, and its ServiceAccount's token (deploy/rbac.yaml as applied); the worker wrangler uploaded
// runs on workerd with the bindings and secrets the fake recorded, its VPC binding on the tunnel
// stand-in. An https request to a websecure route with `tls` is served from a pod, an http one
// redirected, and the table arrived through the version beacon. Last, the guide's checks that need
// no pod run for real against that controller: the Lease's holder, the Events of a broken route.
import { execFileSync, spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseControllerArgs } from '../../control-plane/cli/controller.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { startFakeCloudflareApi, type FakeCloudflareApi } from '../support/fake-cloudflare-api.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { serviceObjects } from '../support/apiserver/objects.ts'
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.ts'
import { eventually } from '../support/eventually.ts'
import { ensureKubectl, kubectlFor, type KubectlResult } from '../support/kubectl.ts'
import { leafCert, send, startUpstream, testCa, type Echo, type Upstream } from '../support/index.ts'

interface Block {
  info: string
  code: string
  line: number
  /** The `## ` heading the block is under. */
  section: string
}

/** The fenced blocks of a Markdown file, with their info string, first line number and section. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    const before = markdown.slice(0, m.index)
    const section = [...before.matchAll(/^## (.*)$/gm)].at(-1)?.[1] ?? ''
    blocks.push({ info: m[1]!.trim(), code: m[2]!, line: before.split('\n').length, section })
  }
  return blocks
}

const isManual = (b: Block) => b.info.split(/\s+/).includes('manual')
/** The guide's checks of a running deployment: run once the controller runs. */
const isCheck = (b: Block) => /^\d+\. Check it$/.test(b.section)

type K8sObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; uid?: string }
  data?: Record<string, string>
  [k: string]: unknown
}
interface DeploymentObject extends K8sObject {
  spec: {
    template: {
      spec: {
        serviceAccountName: string
        containers: Array<{
          image: string
          args: string[]
          env: Array<{
            name: string
            value?: string
            valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } }
          }>
          volumeMounts: Array<{ name: string; mountPath: string }>
        }>
        volumes: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string; path: string }> } }>
      }
    }
  }
}

const VALUES = {
  CLOUDFLARE_ACCOUNT_ID: '',
  CLOUDFLARE_API_TOKEN: '',
  CONTROLLER_API_TOKEN: 'controller-kv-only-token',
  ZONE: 'example.com',
  APP_HOST: 'app.example.com',
  POD_CIDR: '10.244.0.0/16',
  SERVICE_CIDR: '10.96.0.0/12',
  IMAGE: 'registry.example.com/traefik-edge-controller',
  IMAGE_DIGEST: `sha256:${'5e'.repeat(32)}`,
}

const ADMIN_TOKEN = 'deploy-guide-admin'

let work: string
let api: FakeCloudflareApi
let apiServer: TestApiServer
let kubectl: (...args: string[]) => Promise<KubectlResult>
let shellEnv: Record<string, string>
let guide: { setup: Block[]; checks: Block[]; manual: Block[] }
const ran: Array<{ block: Block; output: string }> = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'deploy-guide-'))
  api = await startFakeCloudflareApi()
  api.allowToken(VALUES.CONTROLLER_API_TOKEN)
  Object.assign(VALUES, { CLOUDFLARE_ACCOUNT_ID: api.accountId, CLOUDFLARE_API_TOKEN: api.token })
  // The cluster: an API server without Traefik's CRDs (the guide installs them), whose anonymous
  // requests are refused; kubectl is its admin.
  apiServer = await startApiServer({ tls: true, token: ADMIN_TOKEN, crds: false, createNamespaces: false })
  const kubeconfig = join(work, 'kubeconfig')
  await writeFile(kubeconfig, apiServer.kubeconfig())
  kubectl = kubectlFor(kubeconfig)
  // The repository as a user has it (tracked and new files), node_modules shared.
  const repo = join(work, 'repo')
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
  for (const f of files.filter((f) => !/^(test|bench|docs)\//.test(f))) {
    await mkdir(dirname(join(repo, f)), { recursive: true })
    await cp(join(REPO_ROOT, f), join(repo, f)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'))
  // The real kubectl as `kubectl` (the one on PATH when recent enough, else Debian's package).
  const bin = join(work, 'bin')
  await mkdir(bin)
  await symlink(ensureKubectl(), join(bin, 'kubectl'))
  shellEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: work,
    LANG: 'C.UTF-8',
    WRANGLER_SEND_METRICS: 'false',
    NO_COLOR: '1',
    CLOUDFLARE_API_BASE_URL: api.baseUrl,
    KUBECONFIG: kubeconfig,
  }
  const blocks = fencedBlocks(await readFile(join(REPO_ROOT, 'docs/deploy.md'), 'utf8')).filter((b) => b.info.split(/\s+/)[0] === 'sh')
  guide = {
    setup: blocks.filter((b) => !isManual(b) && !isCheck(b)),
    checks: blocks.filter((b) => !isManual(b) && isCheck(b)),
    manual: blocks.filter(isManual),
  }
}, 60_000)

afterAll(async () => {
  await api?.close()
  await apiServer?.close()
  if (work) await rm(work, { recursive: true, force: true })
})

/** Runs one block in bash in the repository copy, the variables of the blocks before it in scope. */
function runBlock(block: Block): Promise<string> {
  const state = join(work, 'state.sh')
  const script = `set -euo pipefail\n[ -f ${state} ] && source ${state}\n${block.code}\nexport -p > ${state}\n`
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: join(work, 'repo'), env: { ...shellEnv, ...(ran.length === 0 ? VALUES : {}) } })
    let output = ''
    child.stdout.on('data', (c: Buffer) => (output += c))
    child.stderr.on('data', (c: Buffer) => (output += c))
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(
            new Error(
              `docs/deploy.md line ${block.line}: exit ${code}\n${block.code}\n--- output\n${output}\n--- unknown API calls: ${api.unknown.join(', ')}`,
            ),
          ),
    )
  })
}

describe('docs/deploy.md, as written', () => {
  it('runs every command of the guide in order against the fake Cloudflare API and the test API server, kubectl included', async () => {
    const [values, ...setup] = guide.setup
    // The first block is the user's values: the test gives its own for exactly those names.
    expect(values!.code.startsWith('# Your values')).toBe(true)
    expect([...values!.code.matchAll(/^export (\w+)=/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(VALUES).sort())
    // Only what needs a registry (docker) or running pods (their status and logs, port-forward) is left out.
    expect(guide.manual.map((b) => b.code.split('\n')[0]!.split(' ')[0])).toEqual(['docker', 'kubectl', 'kubectl'])
    expect(guide.manual.map((b) => b.code).join('\n')).not.toMatch(/\bget lease\b|\bdescribe\b|\bevents\b/)
    expect(setup.length).toBeGreaterThanOrEqual(7)
    expect(guide.checks.length).toBeGreaterThanOrEqual(1)
    // The values go into the session the first block starts; later blocks inherit them from it.
    await writeFile(
      join(work, 'state.sh'),
      Object.entries(VALUES)
        .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
        .join('\n') + '\n',
    )
    for (const block of setup) ran.push({ block, output: await runBlock(block) })
    expect(api.unknown).toEqual([])
    // kubectl's own account of what the API server did.
    const out = ran.map((r) => r.output).join('\n')
    expect(out).toMatch(/^namespace\/traefik-edge created$/m)
    for (const name of ['signing-key', 'secrets-key', 'cloudflare', 'beacon', 'tunnel'])
      expect(out).toMatch(new RegExp(`^secret/traefik-edge-${name} created$`, 'm'))
    expect(out).toMatch(/^customresourcedefinition\.apiextensions\.k8s\.io\/ingressroutes\.traefik\.io created$/m)
    expect(out).toMatch(/^deployment\.apps\/traefik-edge-controller created \(server dry run\)$/m)
    expect(out).toMatch(/^deployment\.apps\/traefik-edge-controller created$/m)
    expect(out).toMatch(/^deployment\.apps\/traefik-edge-cloudflared created$/m)
    // deploy/ names the namespace that the first `apply -f` created: applied again, unchanged.
    expect(out).toMatch(/^namespace\/traefik-edge unchanged$/m)
  }, 300_000)

  it('left the account as the guide says: namespace, worker, bindings, secrets, hostnames, tunnel', async () => {
    expect(ran.length).toBeGreaterThan(0)
    const repo = join(work, 'repo')
    const [ns, ...others] = api.namespaces.values()
    expect(others).toEqual([])
    expect(ns!.title).toBe('traefik-edge-routes')
    expect(await readFile(join(repo, 'wrangler.toml'), 'utf8')).toContain(`id = "${ns!.id}"`)
    const worker = api.workers.get('traefik-edge')!
    const bindings = worker.metadata.bindings!
    expect(bindings).toContainEqual(expect.objectContaining({ name: 'ROUTES', type: 'kv_namespace', namespace_id: ns!.id }))
    expect(bindings).toContainEqual(expect.objectContaining({ name: 'VPC_NETWORK', network_id: 'cf1:network' }))
    expect(bindings).toContainEqual(expect.objectContaining({ name: 'ENTRYPOINT_BY_SCHEME', text: 'http=web,https=websecure' }))
    expect(
      bindings
        .filter((b) => b.type === 'durable_object_namespace')
        .map((b) => b.class_name)
        .sort(),
    ).toEqual(['EdgeLimiter', 'TableBeacon'])
    expect(worker.metadata.compatibility_flags ?? []).not.toContain('no_nodejs_compat')
    expect(worker.metadata.compatibility_date! >= '2026-08-04').toBe(true) // nodejs_compat (node:zlib for zstd) on by date
    expect(worker.workersDev).toBe(true)
    // The secrets are the files the guide made, byte for byte (wrangler trims what it reads on stdin at the end).
    expect(worker.secrets.get('TABLE_JWKS')).toBe((await readFile(join(repo, 'table-jwks.json'), 'utf8')).trimEnd())
    expect(worker.secrets.get('SECRETS_KEY')).toBe((await readFile(join(repo, 'secrets-key.jwk.json'), 'utf8')).trimEnd())
    expect(worker.secrets.get('TABLE_BEACON_TOKEN')).toBe((await readFile(join(repo, 'beacon.token'), 'utf8')).trimEnd())
    expect(worker.secrets.get('TABLE_BEACON_TOKEN')).toMatch(/^[0-9a-f]{64}$/)
    expect(api.domains.get(VALUES.APP_HOST)).toBe('traefik-edge')
    expect(api.routes.get(`www.${VALUES.ZONE}/*`)).toBe('traefik-edge')
    expect(api.dnsRecords.get(`www.${VALUES.ZONE}`)).toMatchObject({ proxied: true })
    const [tunnel] = api.tunnels.values()
    expect(tunnel!.routes).toEqual([VALUES.POD_CIDR, VALUES.SERVICE_CIDR])
    expect(await readFile(join(repo, 'tunnel.token'), 'utf8')).toBe(tunnel!.token)
  })
})

describe('what the guide produced, at work', () => {
  let pod: Upstream
  let edge: LocalEdge
  let controller: ControllerProcess | undefined
  let podName: string

  beforeAll(async () => {
    if (ran.length === 0) return
    pod = await startUpstream({ host: '127.0.0.71', name: 'pod' })
  }, 60_000)

  afterAll(async () => {
    await controller?.stop()
    await edge?.stop()
    await pod?.close()
  })

  /** An object as the API server answers `kubectl get -o json`. */
  const get = async <T = K8sObject>(...args: string[]): Promise<T> => {
    const r = await kubectl('get', ...args, '-o', 'json')
    expect(r.code, `kubectl get ${args.join(' ')}: ${r.stderr}`).toBe(0)
    return JSON.parse(r.stdout) as T
  }
  /** A Secret of the namespace, read back from the API server, its values decoded. */
  const secret = async (name: string) => {
    const s = await get('-n', 'traefik-edge', 'secret', name)
    return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
  }
  const deployment = (name: string) => get<DeploymentObject>('-n', 'traefik-edge', 'deployment', name)

  it('the API server holds what kubectl made: the namespace, five Secrets, the CRDs established, deploy/ (the tunnel token where cloudflared reads it)', async () => {
    expect(ran.length).toBeGreaterThan(0)
    expect((await get<K8sObject & { metadata: { labels: Record<string, string> } }>('namespace', 'traefik-edge')).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    })
    const secrets = await get<{ items: K8sObject[] }>('-n', 'traefik-edge', 'secrets')
    expect(secrets.items.map((o) => o.metadata.name).sort()).toEqual([
      'traefik-edge-beacon',
      'traefik-edge-cloudflare',
      'traefik-edge-secrets-key',
      'traefik-edge-signing-key',
      'traefik-edge-tunnel',
    ])
    // The files the guide wrote, as kubectl read them.
    const repo = join(work, 'repo')
    expect((await secret('traefik-edge-signing-key'))['signing-key.jwk.json']).toBe(await readFile(join(repo, 'signing-key.jwk.json'), 'utf8'))
    expect(await secret('traefik-edge-cloudflare')).toEqual({
      'account-id': VALUES.CLOUDFLARE_ACCOUNT_ID,
      'kv-namespace-id': [...api.namespaces.values()][0]!.id,
      'api-token': VALUES.CONTROLLER_API_TOKEN,
    })
    const cloudflared = (await deployment('traefik-edge-cloudflared')).spec.template.spec.containers[0]!
    const ref = cloudflared.env.find((e) => e.name === 'TUNNEL_TOKEN')!.valueFrom!.secretKeyRef!
    expect((await secret(ref.name))[ref.key]).toBe([...api.tunnels.values()][0]!.token)
    expect(cloudflared.image).toMatch(/^cloudflare\/cloudflared:[\d.]+@sha256:[0-9a-f]{64}$/)
    const controllerPod = (await deployment('traefik-edge-controller')).spec.template.spec.containers[0]!
    expect(controllerPod.image).toBe(`${VALUES.IMAGE}@${VALUES.IMAGE_DIGEST}`)
    expect(controllerPod.env.find((e) => e.name === 'TABLE_BEACON_URL')!.value).toBe(`https://traefik-edge.${api.subdomain}.workers.dev`)
    // Traefik's CRDs, from their own kustomization, served.
    const crd = await get<K8sObject & { status: { conditions: Array<{ type: string; status: string }> } }>('crd', 'ingressroutes.traefik.io')
    expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: 'Established', status: 'True' }))
    for (const kind of ['ServiceAccount', 'Service', 'PodDisruptionBudget', 'NetworkPolicy'])
      expect(apiServer.objects(kind, 'traefik-edge').map((o) => o.metadata?.name)).toContain('traefik-edge-controller')
    expect(apiServer.objects('ClusterRole').map((o) => o.metadata?.name)).toContain('traefik-edge-controller')
  })

  it('the uploaded worker with its secrets serves what the controller publishes: https to a pod through the tunnel, http redirected', async () => {
    expect(ran.length).toBeGreaterThan(0)
    const worker = api.workers.get('traefik-edge')!
    // The worker exactly as uploaded (wrangler's bundle), with its variables and secrets; the KV
    // namespace is the fake's, read by workerd through the local KV service.
    const uploaded = join(work, 'uploaded')
    await mkdir(uploaded, { recursive: true })
    for (const [name, source] of worker.modules) await writeFile(join(uploaded, name), source)
    const ns = [...api.namespaces.values()][0]!
    const vars = Object.fromEntries((worker.metadata.bindings ?? []).filter((b) => b.type === 'plain_text').map((b) => [b.name as string, b.text as string]))
    const cert = leafCert({ dns: [VALUES.APP_HOST] })
    edge = await startLocalEdge({
      store: mapStore(ns.data),
      stateDir: join(work, 'edge-state'),
      workerEntry: join(uploaded, worker.metadata.main_module!),
      entryPoints: [
        { name: 'web', address: '127.0.0.1:0', byScheme: true },
        { name: 'websecure', address: '127.0.0.1:0', byScheme: true, tls: { certificateChain: cert.cert, privateKey: cert.key } },
      ],
      vars: { ...vars, ...Object.fromEntries(worker.secrets) },
      log: () => {},
    })

    // The user's objects: a Service whose pod is a loopback server, a websecure route with tls, a
    // web route redirecting to https, and a route whose rule does not parse (the guide's checks find it).
    apiServer.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } })
    apiServer.apply(...serviceObjects({ name: 'app', namespace: 'shop', addresses: [pod.host], port: pod.port }))
    apiServer.apply(
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'Middleware',
        metadata: { name: 'to-https', namespace: 'shop' },
        spec: { redirectScheme: { scheme: 'https', permanent: true } },
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'app', namespace: 'shop' },
        spec: { entryPoints: ['websecure'], routes: [{ kind: 'Rule', match: `Host(\`${VALUES.APP_HOST}\`)`, services: [{ name: 'app', port: 80 }] }], tls: {} },
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'app-http', namespace: 'shop' },
        spec: {
          entryPoints: ['web'],
          routes: [{ kind: 'Rule', match: `Host(\`${VALUES.APP_HOST}\`)`, middlewares: [{ name: 'to-https' }], services: [{ name: 'app', port: 80 }] }],
        },
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'broken', namespace: 'shop' },
        spec: { entryPoints: ['websecure'], routes: [{ kind: 'Rule', match: 'PathPrefx(`/old`)', services: [{ name: 'app', port: 80 }] }] },
      },
    )

    // The controller as its Deployment runs it, read back from the API server: its flags and
    // environment, its Secrets mounted as files (under a scratch root instead of /), and its
    // ServiceAccount's token for the API server instead of the in-cluster one.
    const d = await deployment('traefik-edge-controller')
    const spec = d.spec.template.spec
    const container = spec.containers[0]!
    const root = join(work, 'mounts')
    for (const mount of container.volumeMounts) {
      const volume = spec.volumes.find((v) => v.name === mount.name)!
      if (!volume.secret) continue
      const data = await secret(volume.secret.secretName)
      const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))
      await mkdir(join(root, mount.mountPath), { recursive: true })
      for (const item of items) await writeFile(join(root, mount.mountPath, item.path), data[item.key]!)
    }
    const remap = (v: string) => (v.startsWith('/var/run/secrets/') ? join(root, v) : v)
    podName = `${d.metadata.name}-5d8f7c9b6-q4x2z`
    const fields: Record<string, string> = { 'metadata.name': podName, 'metadata.namespace': d.metadata.namespace! }
    const env: Record<string, string> = { CLOUDFLARE_API_BASE_URL: api.baseUrl }
    for (const e of container.env) {
      if (e.value !== undefined) env[e.name] = remap(e.value)
      else if (e.valueFrom?.secretKeyRef) env[e.name] = (await secret(e.valueFrom.secretKeyRef.name))[e.valueFrom.secretKeyRef.key]!
      else if (e.valueFrom?.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath]!
    }
    expect(env).toMatchObject({ POD_NAME: podName, POD_NAMESPACE: 'traefik-edge' })
    // The beacon's URL is the worker's workers.dev address; here, the worker runs on loopback.
    expect(env.TABLE_BEACON_URL).toMatch(/\.workers\.dev$/)
    env.TABLE_BEACON_URL = edge.url('web')
    const args = container.args.filter((a) => a !== '--in-cluster').map((a) => a.replace(/=(\/var\/run\/secrets\/.*)$/, (_m, p: string) => `=${remap(p)}`))
    expect(parseControllerArgs(container.args, env)).toMatchObject({ sink: 'cloudflare', target: 'cloudflare', entryPoints: ['web', 'websecure'] })
    const kubeconfig = join(work, 'controller-kubeconfig')
    await writeFile(kubeconfig, apiServer.kubeconfig({ token: apiServer.serviceAccountToken(d.metadata.namespace!, spec.serviceAccountName) }))
    controller = await startControllerProcess(
      [...args.filter((a) => !/^--(ops-port|state-dir)=/.test(a)), '--kubeconfig', kubeconfig, '--ops-port=0', `--state-dir=${join(work, 'controller-state')}`],
      env,
    )

    const https = () => send(`${edge.url('websecure')}/cart?id=1`, { headers: { host: VALUES.APP_HOST }, ca: testCa().cert })
    await eventually(async () => expect((await https()).status).toBe(200), { what: 'the route served', timeoutMs: 20_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller:\n${controller!.stderr.join('\n')}`)
    })
    const echo = JSON.parse((await https()).body) as Echo
    expect(echo.server).toBe('pod')
    expect(echo.headers.host).toBe(VALUES.APP_HOST)
    expect(echo.headers['x-forwarded-proto']).toBe('https')
    const http = await send(`${edge.url('web')}/cart?id=1`, { headers: { host: VALUES.APP_HOST } })
    expect(http.status).toBe(301)
    expect(http.headers.location).toBe(`https://${VALUES.APP_HOST}/cart?id=1`)
    // Published to the namespace the guide created, with the controller's own token, and handed to the beacon.
    expect([...ns.data.keys()]).toContain('table/pointer')
    // The beacon took it (the token wrangler stored is the one the controller holds): it logs every refusal.
    expect(controller.stderr.join('\n')).toMatch(/table \S+ published/)
    expect(controller.stderr.join('\n')).not.toMatch(/version beacon/)
    // Ready, as its readiness probe would find it; the ServiceAccount was refused nothing.
    const ready = await send(`${controller.opsUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(controller.stderr.join('\n')).not.toMatch(/forbidden|permission denied/i)
  }, 120_000)

  it("the guide's checks, run for real against the running controller: the Lease's holder, the broken route's Events", async () => {
    expect(controller).toBeDefined()
    await eventually(
      () =>
        expect(
          apiServer.objects('Event', 'shop', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'broken' && e.type === 'Warning'),
        ).toHaveLength(1),
      { what: 'a Warning Event on the broken route', timeoutMs: 20_000 },
    )
    const outputs: string[] = []
    for (const block of guide.checks) {
      const output = await runBlock(block)
      ran.push({ block, output })
      outputs.push(output)
    }
    const out = outputs.join('\n')
    // The leader is the one controller running: the pod name its Deployment gave it.
    expect(out.split('\n')).toContain(podName)
    // Events list the problem with its object; describe shows each route and the broken one's Event.
    expect(out).toMatch(/Warning\s+InvalidConfiguration\s+IngressRoute\/broken\s+.*PathPrefx/)
    expect(out).toMatch(/^Name:\s+app-http$/m)
    expect(out).toMatch(/^Name:\s+broken$/m)
    expect(out).toMatch(/Warning\s+InvalidConfiguration\s+.*traefik-edge\s+.*PathPrefx/)
  }, 120_000)
})

/** A KvStore over the fake namespace's data: workerd reads what the controller wrote through the REST API. */
function mapStore(data: Map<string, string>): KvStore {
  const base = createMemoryKvStore()
  return {
    ...base,
    get: async (keys) => new Map(keys.map((k) => [k, data.get(k) ?? null])),
    put: async (entries) => void entries.forEach(([k, v]) => data.set(k, v)),
    delete: async (keys) => void keys.forEach((k) => data.delete(k)),
    list: async (prefix) => [...data.keys()].filter((k) => k.startsWith(prefix)).sort(),
  }
}
