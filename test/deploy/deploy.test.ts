// deploy/: every YAML parses; RBAC grants exactly CONTROLLER_PERMISSIONS; the Deployment runs the
// controller with flags it accepts, probes on its ops routes and the Secrets the templates define;
// and a real controller (client-node informers, leader election, Events) against the test API
// server asks for nothing the RBAC does not grant.
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair } from 'jose'
import { parseControllerArgs } from '../../control-plane/cli/controller.ts'
import { ClusterController } from '../../control-plane/controller/kube/controller.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../support/apiserver/objects.ts'
import { eventually } from '../support/eventually.ts'
import { kubectlFor } from '../support/kubectl.ts'
import { TRAEFIK_WATCHED } from '../../control-plane/controller/kube/watched-kinds.ts'
import { CONTROLLER_PERMISSIONS, permissionKey, type Permission } from '../../control-plane/controller/ops/permissions.ts'

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
interface Rule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
  resourceNames?: string[]
}

const DEPLOY = join(REPO_ROOT, 'deploy')

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  )
}

const files = new Map<string, Doc[]>()
for (const file of yamlFiles(DEPLOY)) {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'))
  const list = Array.isArray(docs) ? docs : [docs]
  for (const d of list) if (d.errors.length) throw new Error(`${relative(REPO_ROOT, file)}: ${d.errors[0]!.message}`)
  files.set(
    relative(DEPLOY, file),
    list.map((d) => d.toJS() as Doc).filter((d) => d !== null),
  )
}
/** deploy/'s own manifests (its kustomization's resources), without crds/ and the secrets-in-namespaces component. */
const all = [...files].filter(([f]) => !f.includes('/')).flatMap(([, docs]) => docs)
const one = (kind: string, name?: string) => {
  const found = all.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name))
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1)
  return found[0]!
}

const deployment = (name = 'traefik-edge-controller') => one('Deployment', name) as Doc & { spec: { replicas: number; template: { spec: PodSpec } } }
interface PodSpec {
  serviceAccountName: string
  automountServiceAccountToken?: boolean
  securityContext: Record<string, unknown>
  affinity?: unknown
  containers: Array<{
    image: string
    args: string[]
    env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown } }>
    ports: Array<{ name: string; containerPort: number }>
    livenessProbe: Probe
    readinessProbe: Probe
    volumeMounts: Array<{ name: string; mountPath: string }>
    securityContext: Record<string, unknown>
  }>
  volumes: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }>
}
interface Probe {
  httpGet: { path: string; port: string }
}

/** What the service account may do: the rules bound to it, with where they apply. */
function granted(): Array<Rule & { scope: 'cluster' | 'own'; namespace?: string }> {
  const sa = one('ServiceAccount')
  const subjectIsSa = (b: Doc) =>
    (b.subjects as Array<{ kind: string; name: string; namespace: string }>).some(
      (s) => s.kind === 'ServiceAccount' && s.name === sa.metadata.name && s.namespace === sa.metadata.namespace,
    )
  const out: Array<Rule & { scope: 'cluster' | 'own'; namespace?: string }> = []
  for (const b of all.filter((d) => d.kind === 'ClusterRoleBinding' && subjectIsSa(d))) {
    const role = one('ClusterRole', (b.roleRef as { name: string }).name)
    for (const r of role.rules as Rule[]) out.push({ ...r, scope: 'cluster' })
  }
  for (const b of all.filter((d) => d.kind === 'RoleBinding' && subjectIsSa(d))) {
    const ref = b.roleRef as { kind: string; name: string }
    const role = all.find(
      (d) => d.kind === ref.kind && d.metadata.name === ref.name && (ref.kind === 'ClusterRole' || d.metadata.namespace === b.metadata.namespace),
    )!
    expect(b.metadata.namespace).toBe(sa.metadata.namespace)
    for (const r of role.rules as Rule[]) out.push({ ...r, scope: 'own', namespace: b.metadata.namespace })
  }
  return out
}

describe('deploy/', () => {
  it('parses, names every object, and the kustomization lists every manifest but the Secret templates', () => {
    expect([...files.keys()].filter((f) => f.includes('/')).sort()).toEqual([
      'crds/kubernetes-crd-definition-v1.yml',
      'secrets-in-namespaces/kustomization.yaml',
      'secrets-in-namespaces/secret-readers.yaml',
    ])
    for (const d of all.filter((x) => x.kind !== 'Kustomization')) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toBeTruthy()
      expect(d.metadata?.name).toBeTruthy()
    }
    const kustomization = one('Kustomization') as Doc & { resources: string[] }
    expect([...kustomization.resources].sort()).toEqual([...files.keys()].filter((f) => !f.includes('/') && !/kustomization|secrets\.example/.test(f)).sort())
    const ns = one('Namespace').metadata.name
    for (const d of all.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Kustomization'].includes(x.kind))) {
      expect(d.metadata.namespace, `${d.kind} ${d.metadata.name}`).toBe(ns)
    }
  })

  it('grants exactly the permissions the controller uses', () => {
    const keys = new Set<string>()
    for (const r of granted()) {
      for (const group of r.apiGroups)
        for (const resource of r.resources) for (const verb of r.verbs) keys.add(permissionKey({ group, resource, verb, scope: r.scope }))
      expect(r.verbs).not.toContain('*')
      expect(r.resources).not.toContain('*')
    }
    expect([...keys].sort()).toEqual(CONTROLLER_PERMISSIONS.map(permissionKey).sort())
    // No access to Secrets beyond list/watch (no get of arbitrary Secrets by name), nothing writable but Events and the Lease.
    const writes = [...keys].filter((k) => /\s(create|update|patch|delete)\s/.test(k)).map((k) => k.split(' ')[0])
    expect(new Set(writes)).toEqual(new Set(['core/events', 'coordination.k8s.io/leases']))
  })

  it('runs two replicas of the controller with flags it accepts, its probes, and the Secrets the templates define', () => {
    const d = deployment()
    expect(d.spec.replicas).toBe(2)
    const pod = d.spec.template.spec
    expect(pod.serviceAccountName).toBe(one('ServiceAccount').metadata.name)
    const [c] = pod.containers
    const env: Record<string, string> = { POD_NAME: 'p', POD_NAMESPACE: d.metadata.namespace! }
    for (const e of c!.env) if (e.value !== undefined) env[e.name] = e.value
    const args = parseControllerArgs(c!.args, env)
    expect(args).toMatchObject({ inCluster: true, sink: 'cloudflare', target: 'cloudflare', opsPort: c!.ports.find((p) => p.name === 'ops')!.containerPort })
    // The probes come from the kubelet, on the pod's address: the ops server cannot stay on loopback.
    expect(args.opsAddress).toBe('0.0.0.0')
    expect(args.lease).toMatchObject({ namespace: d.metadata.namespace, name: 'traefik-edge-controller' })
    // The Lease the Role lets it get and update is the one it campaigns for.
    const leaseRule = granted().find((r) => r.resources.includes('leases') && r.verbs.includes('update'))!
    expect(leaseRule.resourceNames).toEqual([args.lease!.name])
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'ops' })
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'ops' })
    // Every Secret key it reads (env or volume) is in the templates; every *_FILE lies in a mounted volume.
    const secrets = new Map(all.filter((x) => x.kind === 'Secret').map((s) => [s.metadata.name, Object.keys(s.stringData as object)]))
    for (const e of c!.env) if (e.valueFrom?.secretKeyRef) expect(secrets.get(e.valueFrom.secretKeyRef.name)).toContain(e.valueFrom.secretKeyRef.key)
    for (const v of pod.volumes) if (v.secret) for (const item of v.secret.items ?? []) expect(secrets.get(v.secret.secretName)).toContain(item.key)
    const mounted = (path: string) => c!.volumeMounts.some((m) => path.startsWith(m.mountPath + '/'))
    for (const path of [args.signingKey!, args.secretsKey!, env.CLOUDFLARE_API_TOKEN_FILE!, env.TABLE_BEACON_TOKEN_FILE!])
      expect(mounted(path), path).toBe(true)
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['CLOUDFLARE_API_TOKEN_FILE', 'TABLE_BEACON_URL', 'TABLE_BEACON_TOKEN_FILE', 'SECRETS_KEY_FILE']))
    // Each mounted file is a key of the Secret its volume mounts.
    for (const path of [args.signingKey!, args.secretsKey!, env.CLOUDFLARE_API_TOKEN_FILE!, env.TABLE_BEACON_TOKEN_FILE!]) {
      const mount = c!.volumeMounts.find((m) => path.startsWith(m.mountPath + '/'))!
      const volume = pod.volumes.find((v) => v.name === mount.name)!
      expect(secrets.get(volume.secret!.secretName), path).toContain(path.slice(mount.mountPath.length + 1))
    }
  })

  it('runs cloudflared for the tunnel: two replicas, its token from a Secret, probes on /ready, hardened as the controller', () => {
    const d = deployment('traefik-edge-cloudflared')
    expect(d.spec.replicas).toBe(2)
    const pod = d.spec.template.spec
    const [c] = pod.containers
    // A remotely managed tunnel: `cloudflared tunnel ... run` with the token in TUNNEL_TOKEN, on QUIC (Workers VPC needs it).
    expect(c!.args[0]).toBe('tunnel')
    expect(c!.args.at(-1)).toBe('run')
    expect(c!.args.join(' ')).toMatch(/--no-autoupdate .*--protocol quic .*--metrics 0\.0\.0\.0:2000/)
    // A release of 2025.7.0 or later (year.month.patch: compared as numbers, 2025.11 is after 2025.7).
    const [, year, month] = /^cloudflare\/cloudflared:(\d{4})\.(\d+)\.\d+$/.exec(c!.image) ?? []
    expect(Number(year) * 100 + Number(month), c!.image).toBeGreaterThanOrEqual(2025_07)
    const token = c!.env.find((e) => e.name === 'TUNNEL_TOKEN')!.valueFrom!.secretKeyRef!
    const secrets = new Map(all.filter((x) => x.kind === 'Secret').map((s) => [s.metadata.name, Object.keys(s.stringData as object)]))
    expect(secrets.get(token.name)).toContain(token.key)
    const metrics = c!.ports.find((p) => p.containerPort === 2000)!.name
    expect(c!.livenessProbe.httpGet).toEqual({ path: '/ready', port: metrics })
    expect(c!.readinessProbe.httpGet).toEqual({ path: '/ready', port: metrics })
    // The controller's hardening, and no API credentials at all.
    const controller = deployment().spec.template.spec
    expect(c!.securityContext).toEqual(controller.containers[0]!.securityContext)
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } })
    expect(pod.automountServiceAccountToken).toBe(false)
    const spread = (p: PodSpec) =>
      (p as unknown as { topologySpreadConstraints: Array<{ topologyKey: string; whenUnsatisfiable: string }> }).topologySpreadConstraints.map((t) => [
        t.topologyKey,
        t.whenUnsatisfiable,
      ])
    expect(spread(pod)).toEqual(spread(controller))
    const np = one('NetworkPolicy', 'traefik-edge-cloudflared') as Doc & { spec: { ingress: Array<{ ports: Array<{ port: number }> }> } }
    expect(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([2000])
    const pdb = one('PodDisruptionBudget', 'traefik-edge-cloudflared') as Doc & { spec: { maxUnavailable: number; selector: { matchLabels: object } } }
    expect(pdb.spec).toMatchObject({
      maxUnavailable: 1,
      selector: { matchLabels: (d.spec as unknown as { selector: { matchLabels: object } }).selector.matchLabels },
    })
  })
})

/** RBAC's view of one request: (group, resource, verb, namespace, name). */
function asPermission(line: string): { group: string; resource: string; verb: string; namespace?: string; name?: string } {
  const [method, target] = line.split(' ') as [string, string]
  const url = new URL(target, 'http://x')
  const parts = url.pathname.split('/').filter(Boolean)
  const group = parts[0] === 'api' ? '' : parts[1]!
  let rest = parts.slice(parts[0] === 'api' ? 2 : 3)
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]
    rest = rest.slice(2)
  }
  const [resource, name] = rest as [string, string | undefined]
  const verb =
    method === 'GET'
      ? name
        ? 'get'
        : url.searchParams.get('watch') === 'true'
          ? 'watch'
          : 'list'
      : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method]!
  return { group, resource, verb, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) }
}

describe('a running controller', () => {
  let api: TestApiServer
  let controller: ClusterController
  const NS = 'traefik-edge'

  beforeAll(async () => {
    api = await startApiServer({ tls: true })
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: 8080 }))
    // The namespace, ServiceAccount and RBAC of deploy/, enforced by the API server for the
    // ServiceAccount's token: a permission missing there is a 403 here.
    api.apply(...(all.filter((d) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(d.kind)) as never[]))
    const kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig({ token: api.serviceAccountToken(NS, one('ServiceAccount').metadata.name) }))
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const publisher = await TablePublisher.open({
      store: createMemoryKvStore(),
      signer: await signerFromJwk(await exportJWK(privateKey)),
      pointerMinIntervalMs: 0,
    })
    controller = new ClusterController({
      kc,
      provider: {},
      publish: (built) => publisher.publish(built.table),
      identity: 'rbac-check',
      lease: { namespace: NS, name: 'traefik-edge-controller', leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 },
      debounceMs: 20,
      log: () => {},
    })
    controller.start()
  })
  afterAll(async () => {
    await controller?.stop()
    await api?.close()
  })

  it('asks the API server for nothing deploy/rbac.yaml does not grant', async () => {
    const events = () => api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'broken')
    api.apply(ingressRoute({ name: 'broken', match: 'Host(`b.example`)', service: 'missing' }))
    await eventually(() => expect(events()).toHaveLength(1), { what: 'an Event' })
    // Fixed, then broken again: the Event is counted up (a patch).
    const pushes = controller.counters.pushes
    api.apply(ingressRoute({ name: 'broken', match: 'Host(`b.example`)', service: 'whoami' }))
    await eventually(() => expect(controller.counters.pushes).toBeGreaterThan(pushes), { what: 'the fixed table published' })
    await controller.idle()
    api.apply(ingressRoute({ name: 'broken', match: 'Host(`b.example`)', service: 'missing' }))
    await eventually(() => expect(events()[0]!.count).toBe(2), { what: 'the Event counted up' })

    // The leader renews its Lease (an update) every retry period.
    await eventually(() => expect(api.requests.some((r) => r.startsWith('PUT /apis/coordination.k8s.io/'))).toBe(true), { what: 'a Lease renewal' })
    const rules = granted()
    const allowed = (p: ReturnType<typeof asPermission>) =>
      rules.some(
        (r) =>
          r.apiGroups.includes(p.group) &&
          r.resources.includes(p.resource) &&
          r.verbs.includes(p.verb) &&
          (r.scope === 'cluster' || p.namespace === r.namespace) &&
          (!r.resourceNames || (p.name !== undefined && r.resourceNames.includes(p.name))),
      )
    const asked = api.requests.map(asPermission)
    const refused = asked.filter((p) => !allowed(p))
    expect(refused).toEqual([])
    // The API server, enforcing deploy/rbac.yaml, refused nothing either.
    expect([...controller.counters.forbidden.keys()]).toEqual([])
    expect(controller.state()).toMatchObject({ ready: true, forbidden: [] })
    // And the run used every permission granted (so none is there just in case).
    const used = new Set(asked.map((p) => `${p.group || 'core'}/${p.resource} ${p.verb}`))
    const declared = new Set(CONTROLLER_PERMISSIONS.map((p: Permission) => `${p.group || 'core'}/${p.resource} ${p.verb}`))
    expect([...declared].filter((k) => !used.has(k))).toEqual([])
  })
})

/** The images of every container of a manifest (pod templates, pods, CronJobs: wherever a container list is). */
function imagesOf(doc: unknown): string[] {
  if (Array.isArray(doc)) return doc.flatMap(imagesOf)
  if (doc === null || typeof doc !== 'object') return []
  return Object.entries(doc).flatMap(([key, value]) =>
    /^(containers|initContainers|ephemeralContainers)$/.test(key) && Array.isArray(value)
      ? value.map((c: { image?: unknown }) => String(c.image))
      : imagesOf(value),
  )
}

/** `kubectl kustomize DIR` (the real kustomize that `kubectl apply -k` runs), parsed. */
async function kustomize(dir: string): Promise<Doc[]> {
  const r = await kubectlFor('/dev/null')('kustomize', dir)
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`)
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Doc)
}

/** A kustomization of one's own beside deploy/, using the secrets-in-namespaces component. */
async function secretsInNamespacesOverlay(): Promise<{ dir: string; docs: Doc[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'overlay-'))
  const rel = (p: string) => relative(dir, join(REPO_ROOT, p))
  await writeFile(join(dir, 'kustomization.yaml'), `resources: [${rel('deploy')}]\ncomponents: [${rel('deploy/secrets-in-namespaces')}]\n`)
  return { dir, docs: await kustomize(dir) }
}

type Container = PodSpec['containers'][number] & {
  securityContext?: Record<string, unknown>
  startupProbe?: Probe & { failureThreshold?: number; periodSeconds?: number }
  image: string
}

describe('deploy/ for production clusters', () => {
  it('runs in a namespace that enforces the restricted pod security profile, and the pod meets it', () => {
    const labels = (one('Namespace').metadata as { labels?: Record<string, string> }).labels ?? {}
    expect(labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    })
    // The "restricted" profile's checks (kubernetes.io/docs/concepts/security/pod-security-standards).
    for (const name of ['traefik-edge-controller', 'traefik-edge-cloudflared']) {
      const pod = deployment(name).spec.template.spec as PodSpec & {
        securityContext: Record<string, unknown>
        hostNetwork?: boolean
        hostPID?: boolean
        hostIPC?: boolean
        volumes?: Array<Record<string, unknown>>
      }
      expect(pod.hostNetwork ?? false).toBe(false)
      expect(pod.hostPID ?? false).toBe(false)
      expect(pod.hostIPC ?? false).toBe(false)
      for (const v of pod.volumes ?? [])
        expect(
          Object.keys(v).filter((k) => k !== 'name'),
          v.name as string,
        ).toEqual([expect.stringMatching(/^(configMap|csi|downwardAPI|emptyDir|ephemeral|persistentVolumeClaim|projected|secret)$/)])
      for (const c of pod.containers as Container[]) {
        const sc = { ...pod.securityContext, ...c.securityContext } as {
          runAsNonRoot?: boolean
          runAsUser?: number
          seccompProfile?: { type: string }
          allowPrivilegeEscalation?: boolean
          privileged?: boolean
          capabilities?: { drop?: string[]; add?: string[] }
        }
        expect(sc.runAsNonRoot).toBe(true)
        expect(sc.runAsUser).not.toBe(0)
        expect(sc.seccompProfile?.type).toMatch(/^(RuntimeDefault|Localhost)$/)
        expect(sc.allowPrivilegeEscalation).toBe(false)
        expect(sc.privileged ?? false).toBe(false)
        expect(sc.capabilities?.drop).toContain('ALL')
        expect((sc.capabilities?.add ?? []).filter((a) => a !== 'NET_BIND_SERVICE')).toEqual([])
      }
    }
  })

  it('spreads the replicas over nodes (required) and zones, waits for startup before liveness, and runs an image by digest on a pinned base', async () => {
    const spec = deployment().spec.template.spec as PodSpec & {
      topologySpreadConstraints: Array<{
        topologyKey: string
        whenUnsatisfiable: string
        maxSkew: number
        labelSelector: { matchLabels: Record<string, string> }
      }>
      affinity?: unknown
    }
    const spread = Object.fromEntries(spec.topologySpreadConstraints.map((t) => [t.topologyKey, t]))
    expect(spread['kubernetes.io/hostname']).toMatchObject({ whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 })
    expect(spread['topology.kubernetes.io/zone']).toMatchObject({ whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 1 })
    const podLabels = (deployment().spec.template as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels
    for (const t of spec.topologySpreadConstraints) expect(Object.entries(t.labelSelector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true)
    const c = spec.containers[0] as Container
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops' })
    expect((c.startupProbe!.failureThreshold ?? 3) * (c.startupProbe!.periodSeconds ?? 10)).toBeGreaterThanOrEqual(60)
    const rendered = await kustomize(DEPLOY)
    const image = (
      rendered.find((d) => d.kind === 'Deployment' && d.metadata.name === 'traefik-edge-controller')!.spec as {
        template: { spec: { containers: Container[] } }
      }
    ).template.spec.containers[0]!.image
    expect(image).toMatch(/^[A-Za-z0-9.\-/]+\/traefik-edge-controller@sha256:[0-9a-f]{64}$/)
    expect(readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')).toMatch(/^FROM node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/m)
  })

  it('names every image by digest: what `kubectl apply -k` renders, each image of the manifests, and the Dockerfile bases', async () => {
    // Every image a manifest under deploy/ names has an `images:` entry with a digest in deploy/kustomization.yaml.
    const pins = new Map(
      ((one('Kustomization') as Doc & { images: Array<{ name: string; newTag?: string; digest?: string }> }).images ?? []).map((i) => [i.name, i]),
    )
    const named = [...files].flatMap(([file, docs]) => docs.flatMap((d) => imagesOf(d).map((image) => ({ file, image }))))
    expect(named.map((n) => n.file)).toEqual(expect.arrayContaining(['controller.yaml', 'cloudflared.yaml']))
    for (const { file, image } of named) {
      const [, name, tag] = /^([^:@]+)(?::([^@]+))?$/.exec(image) ?? []
      const pin = pins.get(name!)
      expect(pin?.digest, `${file}: ${image}`).toMatch(/^sha256:[0-9a-f]{64}$/)
      // A tag in the manifest is the one the digest belongs to (kustomize renders name:newTag@digest).
      if (tag !== undefined) expect(pin!.newTag, `${file}: ${image}`).toBe(tag)
    }
    // What the real kustomize renders, for deploy/ and with the secrets-in-namespaces component.
    const overlay = await secretsInNamespacesOverlay()
    try {
      for (const rendered of [await kustomize(DEPLOY), overlay.docs, await kustomize(join(DEPLOY, 'crds'))]) {
        for (const image of rendered.flatMap(imagesOf)) expect(image).toMatch(/^[a-z0-9.\-/]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/i)
      }
      const images = (await kustomize(DEPLOY)).flatMap(imagesOf).sort()
      expect(images).toEqual([
        expect.stringMatching(/^cloudflare\/cloudflared:\d{4}\.\d+\.\d+@sha256:/),
        expect.stringMatching(/\/traefik-edge-controller@sha256:/),
      ])
    } finally {
      await rm(overlay.dir, { recursive: true, force: true })
    }
    // Every build stage's base, by version and digest.
    const froms = readdirSync(DEPLOY)
      .filter((f) => /Dockerfile/.test(f))
      .flatMap((f) => [...readFileSync(join(DEPLOY, f), 'utf8').matchAll(/^FROM\s+(\S+)/gim)].map((m) => m[1]!))
    expect(froms.length).toBeGreaterThan(0)
    for (const base of froms) expect(base).toMatch(/^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/)
  })

  it("leaves the CRDs to their own kustomization, so deploy/ never takes them over from Traefik's Helm chart", async () => {
    const rendered = await kustomize(DEPLOY)
    expect(rendered.filter((d) => d.kind === 'CustomResourceDefinition')).toEqual([])
    expect(new Set(rendered.map((d) => d.kind))).toEqual(
      new Set([
        'Namespace',
        'ServiceAccount',
        'ClusterRole',
        'ClusterRoleBinding',
        'Role',
        'RoleBinding',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'NetworkPolicy',
      ]),
    )
    expect(
      rendered
        .filter((d) => d.kind === 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['traefik-edge-cloudflared', 'traefik-edge-controller'])
    // Named `Kustomization` (no extension), so `kubectl apply -f deploy/crds/` reads only the CRDs.
    expect(readdirSync(join(DEPLOY, 'crds')).sort()).toEqual(['Kustomization', 'kubernetes-crd-definition-v1.yml'])
    const crds = await kustomize(join(DEPLOY, 'crds'))
    expect(crds.map((d) => d.metadata.name)).toEqual(expect.arrayContaining(TRAEFIK_WATCHED.map((k) => `${k.path().split('/').at(-1)}.traefik.io`)))
  })

  it('lets in the ops port only, and out DNS, the API server and Cloudflare (API and beacon)', () => {
    const np = one('NetworkPolicy', 'traefik-edge-controller') as Doc & {
      spec: {
        podSelector: { matchLabels: Record<string, string> }
        policyTypes: string[]
        ingress: Array<{ from?: unknown; ports: Array<{ port: number | string; protocol: string }> }>
        egress: Array<{ to: Array<{ ipBlock?: { cidr: string }; podSelector?: unknown }>; ports: Array<{ port: number; protocol: string }> }>
      }
    }
    const podLabels = (deployment().spec.template as unknown as { metadata: { labels: Record<string, string> } }).metadata.labels
    expect(Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => podLabels[k] === v)).toBe(true)
    expect(np.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress'])
    const ops = deployment().spec.template.spec.containers[0]!.ports.find((p) => p.name === 'ops')!.containerPort
    expect(np.spec.ingress.flatMap((r) => r.ports.map((p) => `${p.protocol}/${p.port}`))).toEqual([`TCP/${ops}`])
    const allows = (ip: string, port: number) =>
      np.spec.egress.some((r) => r.ports.some((p) => p.port === port) && r.to.some((t) => t.ipBlock !== undefined && inCidr(ip, t.ipBlock.cidr)))
    // api.cloudflare.com and a workers.dev address (Cloudflare's published ranges), an in-cluster API server.
    expect(allows('104.19.192.29', 443)).toBe(true)
    expect(allows('172.66.0.1', 443)).toBe(true)
    expect(allows('10.0.0.1', 6443)).toBe(true)
    expect(np.spec.egress.some((r) => r.ports.some((p) => p.port === 53 && p.protocol === 'UDP'))).toBe(true)
    expect(allows('104.19.192.29', 80)).toBe(false)
  })
})

function inCidr(ip: string, cidr: string): boolean {
  if (cidr.includes(':')) return false
  const [base, bits] = cidr.split('/') as [string, string]
  const n = (a: string) => a.split('.').reduce((x, o) => (x << 8) + Number(o), 0) >>> 0
  const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0
  return (n(ip) & mask) === (n(base) & mask)
}

describe('deploy/secrets-in-namespaces (Secrets readable only in listed namespaces)', () => {
  let api: TestApiServer
  const controllers: ClusterController[] = []
  beforeAll(async () => {
    api = await startApiServer({ tls: true })
  })
  afterAll(async () => {
    for (const c of controllers) await c.stop()
    await api?.close()
  })

  const start = async (flags: string[], logs: string[]) => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const publisher = await TablePublisher.open({
      store: createMemoryKvStore(),
      signer: await signerFromJwk(await exportJWK(privateKey)),
      pointerMinIntervalMs: 0,
    })
    const args = parseControllerArgs(flags, { POD_NAMESPACE: 'traefik-edge' })
    const kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig({ token: api.serviceAccountToken('traefik-edge', 'traefik-edge-controller') }))
    const c = new ClusterController({
      kc,
      provider: args.provider,
      secretNamespaces: args.secretNamespaces,
      publish: (built) => publisher.publish(built.table),
      identity: `secrets-${controllers.length}`,
      debounceMs: 20,
      minBackoffMs: 50,
      log: (l) => logs.push(l),
    })
    controllers.push(c)
    c.start()
    return c
  }

  it('grants Secrets only per listed namespace; the controller told so reads them there only; one not told is refused, logs it once and is not ready', async () => {
    const { dir, docs } = await secretsInNamespacesOverlay()
    await rm(dir, { recursive: true, force: true })
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole')! as Doc & { rules: Rule[] }
    expect(clusterRole.rules.flatMap((r) => r.resources)).not.toContain('secrets')
    const args = (
      docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'traefik-edge-controller')!.spec as { template: { spec: { containers: Container[] } } }
    ).template.spec.containers[0]!.args
    const listed = parseControllerArgs(args, { POD_NAMESPACE: 'traefik-edge' }).secretNamespaces
    expect(listed).toEqual(['demo'])
    const readers = docs.filter((d) => d.kind === 'Role' && (d.rules as Rule[]).some((r) => r.resources.includes('secrets')))
    expect(readers.map((r) => r.metadata.namespace).sort()).toEqual([...listed!].sort())
    for (const r of readers) expect((r.rules as Rule[]).flatMap((x) => x.verbs).sort()).toEqual(['list', 'watch'])

    // The rendered RBAC, enforced by the test API server for the ServiceAccount's token.
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } })
    api.apply(...(docs.filter((d) => ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(d.kind)) as never[]))
    api.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'demo' }, type: 'Opaque', stringData: { users: 'a:b' } })

    // Not told: its cluster-wide Secret list is refused.
    const refusedLogs: string[] = []
    const blind = await start(['--no-leader-election'], refusedLogs)
    await eventually(() => expect(blind.state().forbidden).toEqual(['list secrets']), { what: 'the refused Secret list' })
    expect(blind.state().ready).toBe(false)
    await new Promise((r) => setTimeout(r, 500))
    expect(
      refusedLogs.filter((l) =>
        /permission denied \(HTTP 403\) to list secrets: GET \/api\/v1\/secrets: HTTP 403: secrets is forbidden: User "system:serviceaccount:traefik-edge:traefik-edge-controller" cannot list resource "secrets" in API group "" at the cluster scope/.test(
          l,
        ),
      ),
    ).toHaveLength(1)
    expect(blind.counters.forbidden.get('list secrets')).toBeGreaterThan(1)
    await blind.stop()

    // Told: one Secret watch per listed namespace, nothing refused, ready.
    const logs: string[] = []
    const before = api.requests.length
    const told = await start(
      listed!.map((ns) => `--secret-namespaces=${ns}`),
      logs,
    )
    await eventually(() => expect(told.state()).toMatchObject({ synced: true, ready: true, forbidden: [] }), { what: 'ready' })
    const secretCalls = api.requests.slice(before).filter((r) => /\/secrets\b/.test(r))
    expect(secretCalls.length).toBeGreaterThan(0)
    for (const r of secretCalls) expect(r).toMatch(/^GET \/api\/v1\/namespaces\/demo\/secrets\?/)
    expect(told.objectCounts().get('Secret')).toBe(1)
    expect(logs.filter((l) => /permission denied/.test(l))).toEqual([])
  })
})
