// deploy/: every YAML parses; RBAC grants exactly CONTROLLER_PERMISSIONS; the Deployment runs the
// controller with flags it accepts, probes on its ops routes and the Secrets the templates define;
// and a real controller (client-node informers, leader election, Events) against the test API
// server asks for nothing the RBAC does not grant.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair } from 'jose'
import { parseControllerArgs } from '../cli/controller.ts'
import { ClusterController } from '../kube/controller.ts'
import { createMemoryKvStore } from '../kv/memory-store.ts'
import { TablePublisher } from '../publish/publisher.ts'
import { signerFromJwk } from '../publish/signing-key.ts'
import { edgeTableStage } from '../runtime/edge-table.ts'
import { REPO_ROOT } from '../runtime/paths.ts'
import { startApiServer, type TestApiServer } from '../../test/support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../../test/support/apiserver/objects.ts'
import { eventually } from '../../test/support/eventually.ts'
import { CONTROLLER_PERMISSIONS, permissionKey, type Permission } from './permissions.ts'

type Doc = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }
interface Rule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }

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
  files.set(relative(DEPLOY, file), list.map((d) => d.toJS() as Doc).filter((d) => d !== null))
}
const all = [...files.values()].flat()
const one = (kind: string, name?: string) => {
  const found = all.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name))
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1)
  return found[0]!
}

const deployment = () => one('Deployment') as Doc & { spec: { replicas: number; template: { spec: PodSpec } } }
interface PodSpec {
  serviceAccountName: string
  containers: Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown } }>; ports: Array<{ name: string; containerPort: number }>; livenessProbe: Probe; readinessProbe: Probe; volumeMounts: Array<{ name: string; mountPath: string }> }>
  volumes: Array<{ name: string; secret?: { secretName: string; items?: Array<{ key: string }> } }>
}
interface Probe { httpGet: { path: string; port: string } }

/** What the service account may do: the rules bound to it, with where they apply. */
function granted(): Array<Rule & { scope: 'cluster' | 'own'; namespace?: string }> {
  const sa = one('ServiceAccount')
  const subjectIsSa = (b: Doc) => (b.subjects as Array<{ kind: string; name: string; namespace: string }>).some((s) => s.kind === 'ServiceAccount' && s.name === sa.metadata.name && s.namespace === sa.metadata.namespace)
  const out: Array<Rule & { scope: 'cluster' | 'own'; namespace?: string }> = []
  for (const b of all.filter((d) => d.kind === 'ClusterRoleBinding' && subjectIsSa(d))) {
    const role = one('ClusterRole', (b.roleRef as { name: string }).name)
    for (const r of role.rules as Rule[]) out.push({ ...r, scope: 'cluster' })
  }
  for (const b of all.filter((d) => d.kind === 'RoleBinding' && subjectIsSa(d))) {
    const ref = b.roleRef as { kind: string; name: string }
    const role = all.find((d) => d.kind === ref.kind && d.metadata.name === ref.name && (ref.kind === 'ClusterRole' || d.metadata.namespace === b.metadata.namespace))!
    expect(b.metadata.namespace).toBe(sa.metadata.namespace)
    for (const r of role.rules as Rule[]) out.push({ ...r, scope: 'own', namespace: b.metadata.namespace })
  }
  return out
}

describe('deploy/', () => {
  it('parses, names every object, and the kustomization lists every manifest but the Secret templates', () => {
    expect([...files.keys()].sort()).toEqual(['controller.yaml', 'crds/kubernetes-crd-definition-v1.yml', 'kustomization.yaml', 'namespace.yaml', 'rbac.yaml', 'secrets.example.yaml'])
    for (const d of all.filter((x) => x.kind !== 'Kustomization')) {
      expect(d.apiVersion, JSON.stringify(d.metadata)).toBeTruthy()
      expect(d.metadata?.name).toBeTruthy()
    }
    const kustomization = one('Kustomization') as Doc & { resources: string[] }
    expect([...kustomization.resources].sort()).toEqual([...files.keys()].filter((f) => !/kustomization|secrets\.example/.test(f)).sort())
    const ns = one('Namespace').metadata.name
    for (const d of all.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Kustomization'].includes(x.kind))) {
      expect(d.metadata.namespace, `${d.kind} ${d.metadata.name}`).toBe(ns)
    }
  })

  it('grants exactly the permissions the controller uses', () => {
    const keys = new Set<string>()
    for (const r of granted()) {
      for (const group of r.apiGroups) for (const resource of r.resources) for (const verb of r.verbs) keys.add(permissionKey({ group, resource, verb, scope: r.scope }))
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
    for (const path of [args.signingKey!, args.secretsKey!, env.CLOUDFLARE_API_TOKEN_FILE!, env.TABLE_BEACON_TOKEN_FILE!]) expect(mounted(path), path).toBe(true)
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['CLOUDFLARE_API_TOKEN_FILE', 'TABLE_BEACON_URL', 'TABLE_BEACON_TOKEN_FILE', 'SECRETS_KEY_FILE']))
    // Each mounted file is a key of the Secret its volume mounts.
    for (const path of [args.signingKey!, args.secretsKey!, env.CLOUDFLARE_API_TOKEN_FILE!, env.TABLE_BEACON_TOKEN_FILE!]) {
      const mount = c!.volumeMounts.find((m) => path.startsWith(m.mountPath + '/'))!
      const volume = pod.volumes.find((v) => v.name === mount.name)!
      expect(secrets.get(volume.secret!.secretName), path).toContain(path.slice(mount.mountPath.length + 1))
    }
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
    method === 'GET' ? (name ? 'get' : url.searchParams.get('watch') === 'true' ? 'watch' : 'list') : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method]!
  return { group, resource, verb, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}) }
}

describe('a running controller', () => {
  let api: TestApiServer
  let controller: ClusterController
  const NS = 'traefik-edge'

  beforeAll(async () => {
    api = await startApiServer({ tls: true })
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: 8080 }))
    const kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig())
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const publisher = await TablePublisher.open({ store: createMemoryKvStore(), signer: await signerFromJwk(await exportJWK(privateKey)), pointerMinIntervalMs: 0 })
    controller = new ClusterController({
      kc,
      provider: {},
      toEdge: edgeTableStage({ entryPoint: 'web' }),
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
    // And the run used every permission granted (so none is there just in case).
    const used = new Set(asked.map((p) => `${p.group || 'core'}/${p.resource} ${p.verb}`))
    const declared = new Set(CONTROLLER_PERMISSIONS.map((p: Permission) => `${p.group || 'core'}/${p.resource} ${p.verb}`))
    expect([...declared].filter((k) => !used.has(k))).toEqual([])
  })
})
