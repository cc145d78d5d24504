// The test API server as the real kubectl meets it (a client nobody here wrote): CRDs installed
// through apiextensions.k8s.io/v1 and served once established, deploy/ applied as a server-side
// dry run, examples/ applied (namespaces must exist; Secret stringData and Service defaults as a
// cluster does them), get/describe/explain, refusals worded as the API server words them
// (strict decoding, 422 Invalid, 403 Forbidden), `kubectl auth can-i` for the controller's
// ServiceAccount, and a controller running with that ServiceAccount's token whose Events
// `kubectl describe` and `kubectl events` show, and still show after the server expired them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ClusterController } from '../../control-plane/controller/kube/controller.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { CONTROLLER_PERMISSIONS } from '../../control-plane/controller/ops/permissions.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { eventually } from '../support/eventually.ts'
import { kubectlFor, type KubectlResult } from '../support/kubectl.ts'

const SA = 'system:serviceaccount:traefik-edge:traefik-edge-controller'
const EVENT_TTL_MS = 1500

describe('kubectl against the test API server', () => {
  let api: TestApiServer
  let dir: string
  let k: (...args: string[]) => Promise<KubectlResult>
  const ok = async (...args: string[]) => {
    const r = await k(...args)
    expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0)
    return r.stdout
  }
  const file = async (name: string, text: string) => {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubectl-'))
    api = await startApiServer({ tls: true, token: 'admin-token', crds: false, eventTtlMs: EVENT_TTL_MS })
    k = kubectlFor(await file('kubeconfig', api.kubeconfig()))
  })
  afterAll(async () => {
    await api?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('talks to it: version, discovery (aggregated), no Traefik kinds before their CRDs', async () => {
    expect(await ok('version')).toMatch(/Server Version: v1\.32/)
    const before = await ok('api-resources')
    expect(before).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m)
    expect(before).not.toMatch(/ingressroutes/)
    expect((await k('get', 'ingressroutes')).stderr).toMatch(/the server doesn't have a resource type "ingressroutes"/)
  })

  it('installs the CRDs through apiextensions.k8s.io/v1; they are established and served', async () => {
    const applied = await ok('apply', '-f', join(REPO_ROOT, 'deploy/crds/'))
    expect(applied).toMatch(/customresourcedefinition\.apiextensions\.k8s\.io\/ingressroutes\.traefik\.io created/)
    await ok('wait', '--for', 'condition=established', '--timeout=10s', 'crd/ingressroutes.traefik.io', 'crd/middlewares.traefik.io')
    expect(await ok('api-resources', '--api-group=traefik.io')).toMatch(/^ingressroutes\s+traefik\.io\/v1alpha1\s+true\s+IngressRoute$/m)
    // Applying them again, as deploy/crds' kustomization, changes nothing.
    expect(await ok('apply', '-k', join(REPO_ROOT, 'deploy/crds/'))).toMatch(/ingressroutes\.traefik\.io unchanged/)
  })

  it('applies deploy/ as a server-side dry run, which stores nothing and needs its namespace as a real cluster does', async () => {
    const missing = await k('apply', '-k', join(REPO_ROOT, 'deploy'), '--dry-run=server')
    expect(missing.stderr).toMatch(/namespaces "traefik-edge" not found/)
    await ok('create', 'namespace', 'traefik-edge')
    const dry = await ok('apply', '-k', join(REPO_ROOT, 'deploy'), '--dry-run=server')
    const lines = dry.trim().split('\n')
    expect(lines.length).toBeGreaterThan(5)
    for (const l of lines) expect(l).toMatch(/\(server dry run\)$/)
    expect(dry).toMatch(/deployment\.apps\/traefik-edge-controller created \(server dry run\)/)
    expect(dry).toMatch(/networkpolicy\.networking\.k8s\.io\/traefik-edge-controller created \(server dry run\)/)
    expect(api.objects('Deployment', 'traefik-edge')).toEqual([])
    expect(api.objects('ClusterRole')).toEqual([])
    // deploy/ leaves the CRDs alone (a cluster running Traefik's Helm chart owns them).
    expect(dry).not.toMatch(/customresourcedefinition/)
  })

  it('applies examples/: objects in their namespace, Secret stringData folded into data, Service defaults', async () => {
    expect((await k('apply', '-f', join(REPO_ROOT, 'examples'))).stderr).toMatch(/namespaces "demo" not found/)
    await ok('create', 'namespace', 'demo')
    expect(await ok('apply', '-f', join(REPO_ROOT, 'examples'))).toMatch(/ingressroute\.traefik\.io\/admin created/)
    const list = await ok('get', 'ingressroutes', '-n', 'demo')
    expect(list).toMatch(/^NAME\s+AGE$/m)
    expect(
      list
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(['admin', 'canary', 'demo'])
    const secret = JSON.parse(await ok('get', 'secret', 'admin-users', '-n', 'demo', '-o', 'json')) as {
      data: Record<string, string>
      stringData?: unknown
      type: string
    }
    expect(secret.stringData).toBeUndefined()
    expect(secret.type).toBe('Opaque')
    expect(Buffer.from(secret.data.users!, 'base64').toString()).toMatch(/^admin:\$apr1\$/)
    const svc = JSON.parse(await ok('get', 'service', 'whoami-v1', '-n', 'demo', '-o', 'json')) as {
      spec: Record<string, unknown> & { ports: Array<Record<string, unknown>> }
    }
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ipFamilies: ['IPv4'], clusterIP: expect.stringMatching(/^10\.96\./) })
    expect(svc.spec.ports[0]).toMatchObject({ protocol: 'TCP', targetPort: 18081 })
    // targetPort defaults to port.
    await ok('create', 'service', 'clusterip', 'plain', '-n', 'demo', '--tcp=8080')
    expect(JSON.parse(await ok('get', 'service', 'plain', '-n', 'demo', '-o', 'json')).spec.ports[0]).toMatchObject({
      port: 8080,
      targetPort: 8080,
      protocol: 'TCP',
    })
    // Applied again: nothing to change.
    expect(await ok('apply', '-f', join(REPO_ROOT, 'examples'))).toMatch(/ingressroute\.traefik\.io\/admin unchanged/)
  })

  it('describes and explains IngressRoutes', async () => {
    const described = await ok('describe', 'ingressroute', 'admin', '-n', 'demo')
    expect(described).toMatch(/^Kind:\s+IngressRoute$/m)
    expect(described).toMatch(/Match:\s+Host\(`admin\.localhost`\)/)
    const explained = await ok('explain', 'ingressroute.spec.routes')
    expect(explained).toMatch(/^KIND:\s+IngressRoute$/m)
    expect(explained).toMatch(/match\s+<string> -required-/)
    expect(await ok('explain', 'ingressroute.spec.routes.services.port')).toMatch(/FIELD: port <Object>/)
  })

  it('refuses what the API server refuses, worded as it words it', async () => {
    const typo = await file(
      'typo.yaml',
      'apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: { name: typo, namespace: demo }\nspec:\n  routs: []\n  routes: [{ match: "Host(`t`)", services: [{ name: whoami-v1, port: 80 }] }]\n',
    )
    expect((await k('apply', '-f', typo)).stderr).toMatch(
      /IngressRoute in version "v1alpha1" cannot be handled as a IngressRoute: strict decoding error: unknown field "spec\.routs"/,
    )
    const warned = await k('apply', '-f', typo, '--validate=warn')
    expect(warned.code).toBe(0)
    expect(warned.stderr).toMatch(/Warning: unknown field "spec\.routs"/)
    expect(JSON.parse(await ok('get', 'ingressroute', 'typo', '-n', 'demo', '-o', 'json')).spec).not.toHaveProperty('routs')
    const invalid = await file(
      'invalid.yaml',
      'apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: { name: invalid, namespace: demo }\nspec:\n  routes: [{ kind: Rules, services: [{ name: x, port: 80 }] }]\n',
    )
    const refused = await k('apply', '-f', invalid)
    expect(refused.stderr).toMatch(/The IngressRoute "invalid" is invalid:/)
    expect(refused.stderr).toMatch(/spec\.routes\[0\]\.match: Required value/)
    expect(refused.stderr).toMatch(/spec\.routes\[0\]\.kind: Unsupported value: "Rules": supported values: "Rule"/)
    // A CEL rule of Traefik's CRDs (x-kubernetes-validations on addPrefix.prefix).
    const cel = await file(
      'cel.yaml',
      'apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: { name: prefix, namespace: demo }\nspec:\n  addPrefix: { prefix: api }\n',
    )
    expect((await k('apply', '-f', cel)).stderr).toMatch(/spec\.addPrefix\.prefix: Invalid value: "string": must start with a '\/'/)
    expect(api.objects('Middleware', 'demo').map((m) => m.metadata?.name)).not.toContain('prefix')
  })

  it("answers kubectl auth can-i for the controller's ServiceAccount as deploy/rbac.yaml grants, and 403s as the API server does", async () => {
    await ok('apply', '-f', join(REPO_ROOT, 'deploy/rbac.yaml'))
    const can = async (...args: string[]) => (await k('auth', 'can-i', ...args, `--as=${SA}`)).stdout.trim()
    for (const p of CONTROLLER_PERMISSIONS) {
      const resource = `${p.resource}${p.group ? `.${p.group}` : ''}${p.resource === 'leases' && p.verb !== 'create' ? '/traefik-edge-controller' : ''}`
      const where = p.scope === 'own' ? ['-n', 'traefik-edge'] : ['-A']
      expect(`${p.verb} ${resource}: ${await can(p.verb, resource, ...where)}`).toBe(`${p.verb} ${resource}: yes`)
    }
    expect(await can('get', 'secrets/admin-users', '-n', 'demo')).toBe('no')
    expect(await can('create', 'secrets', '-n', 'demo')).toBe('no')
    expect(await can('delete', 'ingressroutes.traefik.io', '-n', 'demo')).toBe('no')
    expect(await can('update', 'leases.coordination.k8s.io/someone-else', '-n', 'traefik-edge')).toBe('no')
    expect(await can('create', 'leases.coordination.k8s.io', '-n', 'demo')).toBe('no')
    // With the ServiceAccount's own token (TokenRequest), a refused call is the API server's 403.
    const token = (await ok('create', 'token', 'traefik-edge-controller', '-n', 'traefik-edge')).trim()
    expect((await k('--token', token, 'auth', 'can-i', 'list', 'ingressroutes.traefik.io', '-A')).stdout.trim()).toBe('yes')
    const forbidden = await k('--token', token, 'get', 'deployments', '-n', 'demo')
    expect(forbidden.stderr).toMatch(
      /Error from server \(Forbidden\): deployments\.apps is forbidden: User "system:serviceaccount:traefik-edge:traefik-edge-controller" cannot list resource "deployments" in API group "apps" in the namespace "demo"/,
    )
  })

  it("a controller with the ServiceAccount's token leaves Events that describe and events show, and that outlive the Event TTL", async () => {
    const token = (await ok('create', 'token', 'traefik-edge-controller', '-n', 'traefik-edge')).trim()
    const kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig({ token }))
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const publisher = await TablePublisher.open({
      store: createMemoryKvStore(),
      signer: await signerFromJwk(await exportJWK(privateKey)),
      pointerMinIntervalMs: 0,
    })
    const logs: string[] = []
    const controller = new ClusterController({
      kc,
      provider: {},
      publish: (built) => publisher.publish(built.table),
      identity: 'kubectl-test',
      lease: { namespace: 'traefik-edge', name: 'traefik-edge-controller', leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 300 },
      debounceMs: 20,
      // Longer than the TTL: the Event expires between two refreshes and is written anew.
      eventRefreshMs: EVENT_TTL_MS * 2,
      log: (l) => logs.push(l),
    })
    controller.start()
    try {
      const bad = await file(
        'bad-rule.yaml',
        'apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata: { name: bad-rule, namespace: demo }\nspec:\n  routes: [{ match: "PathPrefx(`/x`)", services: [{ name: whoami-v1, port: 80 }] }]\n',
      )
      await ok('apply', '-f', bad)
      const warnings = () =>
        api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'bad-rule' && e.type === 'Warning')
      const [first] = await eventually(
        () => {
          const list = warnings()
          expect(list).toHaveLength(1)
          return list
        },
        { what: 'an Event on bad-rule', timeoutMs: 15_000 },
      )
      const described = await ok('describe', 'ingressroute', 'bad-rule', '-n', 'demo')
      expect(described).toMatch(/Warning\s+InvalidConfiguration\s+.*traefik-edge\s+.*PathPrefx/)
      expect(await ok('events', '-n', 'demo', '--for', 'ingressroute/bad-rule')).toMatch(
        /Warning\s+InvalidConfiguration\s+IngressRoute\/bad-rule\s+.*PathPrefx/,
      )
      // The same Event through events.k8s.io/v1.
      expect(await ok('get', 'events.v1.events.k8s.io', '-n', 'demo', '-o', 'jsonpath={.items[*].regarding.name}')).toMatch(/bad-rule/)
      // The server expires it; the problem is still there, so its Event is written again.
      await eventually(() => expect(warnings().map((e) => e.metadata?.name)).not.toContain(first!.metadata?.name), {
        what: 'the Event expired',
        timeoutMs: EVENT_TTL_MS * 4,
      })
      await eventually(() => expect(warnings()).toHaveLength(1), { what: 'the Event written again', timeoutMs: EVENT_TTL_MS * 4 })
      expect(await ok('describe', 'ingressroute', 'bad-rule', '-n', 'demo')).toMatch(/Warning\s+InvalidConfiguration\s+.*PathPrefx/)
      // Fixed: a Normal Event says so.
      await ok(
        'patch',
        'ingressroute',
        'bad-rule',
        '-n',
        'demo',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/routes/0/match","value":"PathPrefix(`/x`)"}]',
      )
      await eventually(async () => expect(await ok('events', '-n', 'demo', '--for', 'ingressroute/bad-rule')).toMatch(/Normal\s+ConfigurationValid/), {
        what: 'a Normal Event',
      })
      expect(controller.state()).toMatchObject({ ready: true, forbidden: [] })
      expect(logs.filter((l) => /permission denied/.test(l))).toEqual([])
    } finally {
      await controller.stop()
    }
  })
})
