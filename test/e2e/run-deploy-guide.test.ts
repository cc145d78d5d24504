// docs/deploy.md, run as written. The guide is this test's input: its `sh` blocks are read out of
// the file and run in order, in one shell session (exported variables carry from block to block), in
// a copy of the repository, against the local fake of Cloudflare's API (wrangler and curl reach it
// through CLOUDFLARE_API_BASE_URL, the one variable the guide does not set). `sh manual` blocks
// (docker, a live cluster) are not run; the values block is given the test's own values. kubectl
// has no cluster here: a stand-in on PATH records what each command would create, through
// kubectl's own client-side dry run (Secrets) and its kustomize (`apply -k`).
//
// Then what the guide produced is put to work: the controller runs with the rendered Deployment's
// flags and environment and the files of the Secrets kubectl made (against the test API server),
// and the worker wrangler uploaded runs on workerd with the bindings and secrets the fake recorded,
// its VPC binding on the tunnel stand-in. An https request to a websecure route with `tls` is
// served from a pod, an http one redirected, and the table arrived through the version beacon.
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseAllDocuments } from 'yaml'
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
import { leafCert, send, startUpstream, testCa, type Echo, type Upstream } from '../support/index.ts'

interface Block {
  info: string
  code: string
  line: number
}

/** The fenced blocks of a Markdown file, with their info string and first line number. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    blocks.push({ info: m[1]!.trim(), code: m[2]!, line: markdown.slice(0, m.index).split('\n').length })
  }
  return blocks
}

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; [k: string]: unknown }

// kubectl without a cluster: what `apply -f`, `apply -k` and `create secret` would create, appended as JSON lines.
const KUBECTL_STAND_IN = `#!/usr/bin/env bash
set -euo pipefail
args=("$@")
ns=""
if [[ "\${args[0]}" == "-n" ]]; then ns="\${args[1]}"; args=("\${args[@]:2}"); fi
# A server-side dry run stores nothing: rendered to check it renders, not recorded.
dry=""
for a in "\${args[@]}"; do [[ "$a" == --dry-run=* ]] && dry=1; done
if [[ -n "$dry" && "\${args[0]} \${args[1]}" == "apply -k" ]]; then "$REAL_KUBECTL" kustomize "\${args[2]}" > /dev/null; echo "dry run: $*"; exit 0; fi
case "\${args[0]} \${args[1]}" in
  "apply -f") cat "\${args[2]}" >> "$KUBECTL_RECORD.yaml"; printf -- '---\\n' >> "$KUBECTL_RECORD.yaml" ;;
  "apply -k") "$REAL_KUBECTL" kustomize "\${args[2]}" >> "$KUBECTL_RECORD.yaml"; printf -- '---\\n' >> "$KUBECTL_RECORD.yaml" ;;
  "create secret") "$REAL_KUBECTL" \${ns:+-n "$ns"} "\${args[@]}" --dry-run=client -o yaml >> "$KUBECTL_RECORD.yaml"; printf -- '---\\n' >> "$KUBECTL_RECORD.yaml" ;;
  *) echo "kubectl stand-in: not recorded: $*" >&2; exit 1 ;;
esac
echo "recorded: $*"
`

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

let work: string
let api: FakeCloudflareApi
let shellEnv: Record<string, string>
const ran: Array<{ block: Block; output: string }> = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'deploy-guide-'))
  api = await startFakeCloudflareApi()
  api.allowToken(VALUES.CONTROLLER_API_TOKEN)
  Object.assign(VALUES, { CLOUDFLARE_ACCOUNT_ID: api.accountId, CLOUDFLARE_API_TOKEN: api.token })
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
  const bin = join(work, 'bin')
  await mkdir(bin)
  await writeFile(join(bin, 'kubectl'), KUBECTL_STAND_IN)
  await chmod(join(bin, 'kubectl'), 0o755)
  shellEnv = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: work,
    LANG: 'C.UTF-8',
    WRANGLER_SEND_METRICS: 'false',
    NO_COLOR: '1',
    CLOUDFLARE_API_BASE_URL: api.baseUrl,
    KUBECTL_RECORD: join(work, 'cluster'),
    REAL_KUBECTL: execFileSync('bash', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim(),
  }
}, 60_000)

afterAll(async () => {
  await api?.close()
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
  it('runs every command of the guide in order against the fake Cloudflare API', async () => {
    const blocks = fencedBlocks(await readFile(join(REPO_ROOT, 'docs/deploy.md'), 'utf8')).filter((b) => b.info.split(/\s+/)[0] === 'sh')
    const [values, ...rest] = blocks
    // The first block is the user's values: the test gives its own for exactly those names.
    expect(values!.code.startsWith('# Your values')).toBe(true)
    expect([...values!.code.matchAll(/^export (\w+)=/gm)].map((m) => m[1]).sort()).toEqual(Object.keys(VALUES).sort())
    const runnable = rest.filter((b) => !b.info.split(/\s+/).includes('manual'))
    const manual = rest.filter((b) => b.info.split(/\s+/).includes('manual'))
    // Only what needs a registry or a live cluster is left out.
    expect(manual.map((b) => b.code.split('\n')[0]!.split(' ')[0])).toEqual(['docker', 'kubectl'])
    expect(runnable.length).toBeGreaterThanOrEqual(7)
    // The values go into the session the first block starts; later blocks inherit them from it.
    await writeFile(
      join(work, 'state.sh'),
      Object.entries(VALUES)
        .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
        .join('\n') + '\n',
    )
    for (const block of runnable) ran.push({ block, output: await runBlock(block) })
    expect(api.unknown).toEqual([])
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
    expect(worker.metadata.compatibility_flags).toContain('nodejs_compat')
    expect(worker.workersDev).toBe(true)
    // The secrets are the files the guide made, byte for byte.
    expect(worker.secrets.get('TABLE_JWKS')).toBe((await readFile(join(repo, 'table-jwks.json'), 'utf8')).replace(/\n$/, ''))
    expect(worker.secrets.get('SECRETS_KEY')).toBe((await readFile(join(repo, 'secrets-key.jwk.json'), 'utf8')).replace(/\n$/, ''))
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
  let cluster: K8sObject[]
  let apiServer: TestApiServer
  let pod: Upstream
  let edge: LocalEdge
  let controller: ControllerProcess | undefined

  beforeAll(async () => {
    if (ran.length === 0) return
    cluster = parseAllDocuments(await readFile(join(work, 'cluster.yaml'), 'utf8'))
      .map((d) => d.toJS() as K8sObject)
      .filter(Boolean)
    pod = await startUpstream({ host: '127.0.0.71', name: 'pod' })
    apiServer = await startApiServer({ tls: true })
  }, 60_000)

  afterAll(async () => {
    await controller?.stop()
    await edge?.stop()
    await pod?.close()
    await apiServer?.close()
  })

  const secret = (name: string) => {
    const s = cluster.find((o) => o.kind === 'Secret' && o.metadata.name === name)
    expect(s, `Secret ${name}`).toBeDefined()
    expect(s!.metadata.namespace).toBe('traefik-edge')
    return Object.fromEntries(Object.entries(s!.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]))
  }
  const deployment = (name: string) =>
    cluster.find((o) => o.kind === 'Deployment' && o.metadata.name === name) as K8sObject & {
      spec: {
        template: {
          spec: {
            containers: Array<{
              image: string
              args: string[]
              env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>
              volumeMounts: Array<{ name: string; mountPath: string }>
            }>
            volumes: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string; path: string }> } }>
          }
        }
      }
    }

  it('kubectl got the namespace, five Secrets and the rendered manifests, the tunnel token where cloudflared reads it', () => {
    expect(ran.length).toBeGreaterThan(0)
    expect(cluster.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name)).toContain('traefik-edge')
    expect(
      cluster
        .filter((o) => o.kind === 'Secret')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['traefik-edge-beacon', 'traefik-edge-cloudflare', 'traefik-edge-secrets-key', 'traefik-edge-signing-key', 'traefik-edge-tunnel'])
    const cloudflared = deployment('traefik-edge-cloudflared').spec.template.spec.containers[0]!
    const ref = cloudflared.env.find((e) => e.name === 'TUNNEL_TOKEN')!.valueFrom!.secretKeyRef!
    expect(secret(ref.name)[ref.key]).toBe([...api.tunnels.values()][0]!.token)
    const controllerPod = deployment('traefik-edge-controller').spec.template.spec.containers[0]!
    expect(controllerPod.image).toBe(`${VALUES.IMAGE}@${VALUES.IMAGE_DIGEST}`)
    // Traefik's CRDs, from their own kustomization.
    expect(cluster.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name)).toContain('ingressroutes.traefik.io')
    expect(controllerPod.env.find((e) => e.name === 'TABLE_BEACON_URL')!.value).toBe(`https://traefik-edge.${api.subdomain}.workers.dev`)
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

    // The cluster: what kubectl recorded of the namespace and the Secrets; then a Service whose pod
    // is a loopback server, a websecure route with tls, a web route redirecting to https.
    apiServer.apply(...(cluster.filter((o) => o.kind === 'Namespace' || o.kind === 'Secret') as unknown as Parameters<TestApiServer['apply']>))
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
    )

    // The controller with the Deployment's flags and environment, its Secrets mounted as files
    // (under a scratch root instead of /), the test API server instead of the in-cluster one.
    const spec = deployment('traefik-edge-controller').spec.template.spec
    const container = spec.containers[0]!
    const root = join(work, 'mounts')
    for (const mount of container.volumeMounts) {
      const volume = spec.volumes.find((v) => v.name === mount.name)!
      if (!volume.secret) continue
      const data = secret(volume.secret.secretName)
      const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }))
      await mkdir(join(root, mount.mountPath), { recursive: true })
      for (const item of items) await writeFile(join(root, mount.mountPath, item.path), data[item.key]!)
    }
    const remap = (v: string) => (v.startsWith('/var/run/secrets/') ? join(root, v) : v)
    const env: Record<string, string> = { POD_NAME: 'traefik-edge-controller-0', POD_NAMESPACE: 'traefik-edge', CLOUDFLARE_API_BASE_URL: api.baseUrl }
    for (const e of container.env) {
      if (e.value !== undefined) env[e.name] = remap(e.value)
      else if (e.valueFrom?.secretKeyRef) env[e.name] = secret(e.valueFrom.secretKeyRef.name)[e.valueFrom.secretKeyRef.key]!
    }
    // The beacon's URL is the worker's workers.dev address; here, the worker runs on loopback.
    expect(env.TABLE_BEACON_URL).toMatch(/\.workers\.dev$/)
    env.TABLE_BEACON_URL = edge.url('web')
    const args = container.args.filter((a) => a !== '--in-cluster').map((a) => a.replace(/=(\/var\/run\/secrets\/.*)$/, (_m, p: string) => `=${remap(p)}`))
    expect(parseControllerArgs(container.args, env)).toMatchObject({ sink: 'cloudflare', target: 'cloudflare', entryPoints: ['web', 'websecure'] })
    const kubeconfig = join(work, 'kubeconfig')
    await writeFile(kubeconfig, apiServer.kubeconfig())
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
