// A Kubernetes API server for tests, which real clients (kubectl, client-node) accept: discovery
// (legacy and aggregated), /version, OpenAPI v2/v3 from the served types, CRDs through
// apiextensions.k8s.io/v1, namespaces that must exist, the list/watch/CRUD protocol with
// optimistic concurrency (409) and 410 Gone after compaction, server-side dry run,
// fieldValidation, admission (pruning, defaulting, validation: admission.ts), Tables for
// `kubectl get`, Events shared between core/v1 and events.k8s.io/v1 that expire, bearer-token
// authentication with RBAC (rbac.ts), and fault injection (5xx on N requests, slow answers,
// dropped watches, watch churn with 410s as a busy API server has).
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { REPO_ROOT } from '../../../control-plane/runtime/paths.ts'
import { leafCert, testCa } from '../certs.ts'
import { prng } from '../prng.ts'
import { admit, type FieldValidation } from './admission.ts'
import { discovery } from './discovery.ts'
import { eventToV1 } from './event-versions.ts'
import { Faults } from './faults.ts'
import { listObjects } from './list.ts'
import { openapi } from './openapi.ts'
import { decodeKubeProtobuf, PROTOBUF } from './protobuf.ts'
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts'
import { ADMIN, Authorizer, forbiddenError, forbiddenPath, serviceAccountUser, type RequestAttributes, type UserInfo } from './rbac.ts'
import { ResourceRegistry, typesOfCrd, type CrdObject, type ResourceType, type Target } from './resources.ts'
import { selectorOf } from './selectors.ts'
import { status, type StatusBody } from './status.ts'
import { notFound, ObjectStore, StoreError, type Obj } from './store.ts'
import { toTable, wantsTable } from './table.ts'
import { serveWatch, type OpenWatch } from './watch.ts'

export interface ApiServerOptions {
  /** Serve HTTPS with a certificate from testCa(). */
  tls?: boolean
  /** The admin's bearer token (system:masters). Without one, requests without a token act as the admin. */
  token?: string
  /** Port on 127.0.0.1; default a free one. */
  port?: number
  /** How often watches that allow bookmarks get one. Default 1000 ms. */
  bookmarkIntervalMs?: number
  /** Changes kept for watches to resume from. */
  maxHistory?: number
  /** The API server's --event-ttl: Events are deleted this long after their last write. Default 1 h. */
  eventTtlMs?: number
  /** Install deploy/crds (Traefik's CRDs) at start, as a cluster that runs Traefik has them. Default true. */
  crds?: boolean
  /** `apply()` creates the namespaces its objects name, as a test fixture would. Default true. */
  createNamespaces?: boolean
}

/** Watches ended and answered 410 as on a busy API server (many writers, restarts, compaction). */
export interface WatchChurn {
  /** Each watch is ended cleanly after a time drawn in [min, max] ms. */
  lifetimeMs: [number, number]
  /** Share (0..1) of watches resuming from a resourceVersion that are answered 410 Gone. */
  goneRatio: number
  /** Seed of the draws, so a run can be repeated. */
  seed?: number
}

export interface TestApiServer {
  /** `http(s)://127.0.0.1:PORT` */
  readonly url: string
  /** PEM of the CA that signed the server certificate (tls only). */
  readonly caCert?: string
  readonly store: ObjectStore
  readonly registry: ResourceRegistry
  readonly faults: Faults
  /** `METHOD /path?query` of every request, in arrival order. */
  readonly requests: string[]
  /** Watches currently open. */
  readonly openWatches: number
  /** Kubeconfig (YAML) for client-node's KubeConfig.loadFromString and kubectl; the admin's unless a token is given. */
  kubeconfig(options?: { token?: string }): string
  /** A bearer token for a ServiceAccount (which must exist when the token is used), as the TokenRequest API issues one. */
  serviceAccountToken(namespace: string, name: string): string
  /** Creates or replaces objects (kind and apiVersion pick the resource) as a client would; admission applies. */
  apply(...objects: Obj[]): Obj[]
  /** Deletes an object; false when it was not there. */
  remove(kind: string, namespace: string | undefined, name: string, apiVersion?: string): boolean
  /** Objects of a kind (namespace optional). */
  objects(kind: string, namespace?: string, apiVersion?: string): Obj[]
  /** Sends a watch event that storage does not reflect (see ObjectStore.emitUnstored). */
  lie(change: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj): void
  /** Ends every open watch, cleanly or by resetting the connection. */
  dropWatches(how?: 'end' | 'reset'): void
  /** Starts (or with null stops) ending watches and answering 410 at a busy API server's rates. */
  churn(options: WatchChurn | null): void
  /** Deletes the Events whose TTL ran out now (the server also does it every second). */
  expireEvents(): number
  close(): Promise<void>
}

const NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease']

/** Go's strconv.ParseBool, as the API server parses boolean query parameters (`watch=True`). */
function truthy(v: string | null): boolean {
  return v !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<TestApiServer> {
  const store = new ObjectStore(options.maxHistory)
  const registry = new ResourceRegistry()
  const authorizer = new Authorizer(store, registry)
  const faults = new Faults()
  const requests: string[] = []
  const watches = new Set<OpenWatch>()
  const tokens = new Map<string, { namespace: string; name: string }>()
  const ca = options.tls ? testCa() : undefined
  const eventTtlMs = options.eventTtlMs ?? 3_600_000
  let churn: { options: WatchChurn; random: () => number } | null = null
  let nextIp = 10
  let nextNodePort = 30000
  const type = (kind: string, apiVersion?: string) => {
    const found = registry.byKind(kind, apiVersion)
    if (found === undefined) throw new Error(`test API server: no resource for ${apiVersion ?? ''} ${kind}`)
    return found
  }
  store.ttlOf = (t) => (t.storage === type('Event', 'v1').storage ? eventTtlMs : undefined)
  const sweeper = setInterval(() => store.expire((s) => registry.all.find((t) => t.storage === s)), Math.min(1000, Math.max(50, eventTtlMs / 4)))
  sweeper.unref()

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof StoreError ? err : new StoreError(500, 'InternalError', String((err as Error)?.stack ?? err))
      if (!res.headersSent) reply(res, e.code, status(e.code, e.reason, e.message, e.details))
      else res.destroy()
    })
  }
  const server: Server = options.tls ? createHttpsServer({ ...toTls(leafCert({ ip: ['127.0.0.1'] })) }, handler) : createHttpServer(handler)

  function authenticate(req: IncomingMessage): UserInfo | null {
    const header = req.headers.authorization
    let user: UserInfo | null
    if (header === undefined) user = options.token === undefined ? ADMIN : null
    else {
      const token = /^Bearer (.+)$/.exec(header)?.[1] ?? ''
      const sa = tokens.get(token)
      // A ServiceAccount's token stops working when the ServiceAccount is deleted.
      if (sa) user = store.get(type('ServiceAccount'), sa.namespace, sa.name) ? serviceAccountUser(sa.namespace, sa.name) : null
      else user = options.token === undefined || token === options.token ? ADMIN : null
    }
    // Impersonation (kubectl --as / --as-group), for users allowed to impersonate: the admin.
    const as = req.headers['impersonate-user']
    if (user && typeof as === 'string' && user.groups.includes('system:masters')) {
      const groups = ([] as string[]).concat(req.headers['impersonate-group'] ?? [])
      const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as)
      user = sa
        ? { name: as, groups: [...new Set([...serviceAccountUser(sa[1]!, sa[2]!).groups, ...groups])] }
        : { name: as, groups: [...groups, 'system:authenticated'] }
    }
    return user
  }

  function verbOf(method: string, target: Target, params: URLSearchParams): string {
    if (method === 'GET') return target.name !== undefined ? 'get' : truthy(params.get('watch')) ? 'watch' : 'list'
    if (method === 'DELETE') return target.name !== undefined ? 'delete' : 'deletecollection'
    return ({ POST: 'create', PUT: 'update', PATCH: 'patch' } as Record<string, string>)[method] ?? method.toLowerCase()
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver')
    const line = `${req.method} ${url.pathname}${url.search}`
    requests.push(line)
    const raw = await readBody(req)
    let body = raw.toString()
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs))
    const user = authenticate(req)
    if (user === null) return reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'))
    const injected = faults.take(line)
    if (injected !== undefined) return reply(res, injected, status(injected, 'InternalError', `injected fault: HTTP ${injected}`))
    const accept = String(req.headers.accept ?? '')
    const params = url.searchParams
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
    if (contentType === PROTOBUF && raw.length > 0) {
      const decoded = decodeKubeProtobuf(raw)
      if (decoded === null)
        return reply(
          res,
          415,
          status(
            415,
            'UnsupportedMediaType',
            'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
          ),
        )
      body = JSON.stringify(decoded)
    } else if (raw.length > 0 && contentType !== '' && !contentType.endsWith('json')) {
      return reply(
        res,
        415,
        status(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
        ),
      )
    }

    const target = registry.parse(url.pathname)
    if (target === null) {
      if (req.method !== 'GET') return reply(res, 404, status(404, 'NotFound', `the server could not find the requested resource`))
      if (!authorizer.allowsNonResource(user, { verb: 'get', path: url.pathname })) throw forbiddenPath(user, { verb: 'get', path: url.pathname })
      return serveNonResource(url.pathname, accept, res, `${server.address() ? `127.0.0.1:${port}` : ''}`)
    }
    const verb = verbOf(req.method ?? 'GET', target, params)
    const attributes: RequestAttributes = {
      verb,
      group: target.type.group,
      resource: target.type.plural,
      ...(target.subresource ? { subresource: target.subresource } : {}),
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      ...(target.name !== undefined ? { name: target.name } : {}),
    }
    if (!authorizer.allows(user, attributes)) throw forbiddenError(user, attributes, target.type)
    if (target.type.virtual) return review(res, target.type, parse(body), user)
    if (target.subresource === 'token') {
      // The TokenRequest API (`kubectl create token SA`): a token that authenticates as the ServiceAccount.
      if (req.method !== 'POST') throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
      mustGet(target)
      const seconds = Number((parse(body).spec as { expirationSeconds?: number } | undefined)?.expirationSeconds ?? 3600)
      return reply(res, 201, {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name: target.name, namespace: target.namespace, creationTimestamp: null },
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: seconds },
        status: {
          token: issueToken(target.namespace!, target.name!),
          expirationTimestamp: new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      })
    }

    const dryRun = dryRunOf(params)
    const fieldValidation = fieldValidationOf(params)
    const view = (o: Obj) => (target.type.group === 'events.k8s.io' ? eventToV1(o) : o)
    switch (req.method) {
      case 'GET': {
        if (verb === 'watch') {
          const random = churn?.random
          const asked = params.get('resourceVersion') ?? ''
          const open = serveWatch(
            store,
            target,
            params,
            selectorOf(params),
            res,
            {
              bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
              view,
              ...(churn && random ? { lifetimeMs: churn.options.lifetimeMs[0] + random() * (churn.options.lifetimeMs[1] - churn.options.lifetimeMs[0]) } : {}),
              ...(churn && random && asked !== '' && asked !== '0' && random() < churn.options.goneRatio ? { gone: true } : {}),
            },
            () => watches.delete(open!),
          )
          if (open) watches.add(open)
          return
        }
        if (target.name === undefined) {
          const list = listObjects(store, target, params, selectorOf(params), view)
          if (wantsTable(accept)) return reply(res, 200, toTable(target.type, list.items as Obj[], list.metadata as Record<string, unknown>))
          return reply(res, 200, list)
        }
        const obj = view(mustGet(target))
        if (wantsTable(accept)) return reply(res, 200, toTable(target.type, [obj], { resourceVersion: obj.metadata?.resourceVersion }))
        return reply(res, 200, obj)
      }
      case 'POST': {
        if (target.name !== undefined) throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
        const obj = parse(body)
        const namespace = target.type.namespaced ? (target.namespace ?? obj.metadata?.namespace) : undefined
        if (target.type.namespaced && namespace === undefined)
          throw new StoreError(400, 'BadRequest', 'the namespace of the object must be given (POST to /namespaces/NS/...)')
        if (namespace !== undefined && obj.metadata?.namespace !== undefined && obj.metadata.namespace !== namespace) {
          throw new StoreError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request')
        }
        requireNamespace(namespace)
        const admitted = admitWrite(target.type, obj, fieldValidation)
        const created = store.create(registry.storageType(target.type), namespace, admitted.obj, dryRun)
        if (!dryRun) afterWrite(target.type, created, 'created')
        return reply(res, 201, view(created), admitted.warnings)
      }
      case 'PUT':
        return update(res, target, parse(body), fieldValidation, dryRun, view)
      case 'PATCH': {
        if (target.name === undefined) throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
        const contentType = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
        const current = view(mustGet(target))
        const patch = tryParse(body)
        if (patch === null) throw new StoreError(400, 'BadRequest', 'the request body is not JSON')
        let patched: unknown
        if (contentType === 'application/merge-patch+json') patched = mergePatch(current, patch)
        else if (contentType === 'application/strategic-merge-patch+json') {
          if (target.type.crd) throw new StoreError(415, 'UnsupportedMediaType', 'strategic merge patch is not supported for custom resources')
          patched = strategicMergePatch(current, patch)
        } else if (contentType === 'application/json-patch+json') patched = jsonPatch(current, patch)
        else
          throw new StoreError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json${target.type.crd ? '' : ', application/strategic-merge-patch+json'}`,
          )
        const next = patched as Obj
        // A patch carries no resourceVersion unless it asks for a precondition.
        if ((patch as Obj).metadata?.resourceVersion === undefined && next.metadata)
          next.metadata = { ...next.metadata, resourceVersion: current.metadata?.resourceVersion }
        return update(res, target, next, fieldValidation, dryRun, view)
      }
      case 'DELETE': {
        if (target.name === undefined) {
          const list = listObjects(store, target, params, selectorOf(params))
          const deleted = (list.items as Obj[]).map((o) => remove(target.type, o.metadata?.namespace, o.metadata!.name!, dryRun))
          return reply(res, 200, { ...list, items: deleted.map(view) })
        }
        return reply(res, 200, view(remove(target.type, target.namespace, target.name, dryRun)))
      }
      default:
        throw new StoreError(405, 'MethodNotAllowed', `${req.method} not allowed`)
    }
  }

  function serveNonResource(pathname: string, accept: string, res: ServerResponse, address: string): void {
    if (pathname === '/version' || pathname === '/version/') {
      return reply(res, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-12-11T00:00:00Z',
        goVersion: 'go1.23.4',
        compiler: 'gc',
        platform: 'linux/amd64',
      })
    }
    if (/^\/(healthz|livez|readyz)\/?$/.test(pathname)) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok')
      return
    }
    const served = registry.all
    const found = discovery(pathname, accept, served, address)
    if (found) {
      const text = JSON.stringify(found.body)
      res.writeHead(200, { 'content-type': found.contentType ?? 'application/json', vary: 'Accept', 'content-length': Buffer.byteLength(text) })
      res.end(text)
      return
    }
    const doc = openapi(pathname, accept, served)
    if (doc) {
      const text = JSON.stringify(doc.body)
      res.writeHead(doc.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(doc.etag ? { etag: doc.etag } : {}) })
      res.end(text)
      return
    }
    reply(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'))
  }

  function review(res: ServerResponse, t: ResourceType, body: Obj, user: UserInfo): void {
    const spec = (body.spec ?? {}) as {
      resourceAttributes?: Record<string, string>
      nonResourceAttributes?: { path?: string; verb?: string }
      namespace?: string
    }
    if (t.kind === 'SelfSubjectRulesReview') {
      const rules = authorizer.rulesFor(user, spec.namespace)
      return reply(res, 201, {
        ...body,
        apiVersion: 'authorization.k8s.io/v1',
        kind: t.kind,
        metadata: { creationTimestamp: null },
        status: {
          resourceRules: rules
            .filter((r) => !r.nonResourceURLs)
            .map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}) })),
          nonResourceRules: [
            {
              verbs: ['get'],
              nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'],
            },
            ...rules.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
          ],
          incomplete: false,
        },
      })
    }
    let allowed: boolean
    if (spec.resourceAttributes) {
      const a = spec.resourceAttributes
      allowed = authorizer.allows(user, {
        verb: a.verb ?? '',
        group: a.group ?? '',
        resource: a.resource ?? '',
        ...(a.subresource ? { subresource: a.subresource } : {}),
        ...(a.namespace ? { namespace: a.namespace } : {}),
        ...(a.name ? { name: a.name } : {}),
      })
    } else if (spec.nonResourceAttributes) {
      allowed = authorizer.allowsNonResource(user, { verb: spec.nonResourceAttributes.verb ?? '', path: spec.nonResourceAttributes.path ?? '' })
    } else {
      throw new StoreError(
        422,
        'Invalid',
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
      )
    }
    reply(res, 201, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: t.kind,
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed, ...(allowed ? { reason: 'RBAC: allowed' } : {}) },
    })
  }

  function issueToken(namespace: string, name: string): string {
    const token = `sa.${randomBytes(24).toString('base64url')}`
    tokens.set(token, { namespace, name })
    return token
  }

  function requireNamespace(namespace: string | undefined): void {
    if (namespace === undefined) return
    if (!store.get(type('Namespace'), undefined, namespace))
      throw new StoreError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' })
  }

  function admitWrite(t: ResourceType, obj: Obj, fieldValidation: FieldValidation, old?: Obj) {
    return admit(t, obj, {
      fieldValidation,
      ...(old ? { old } : {}),
      allocateClusterIp: () => `10.96.${Math.floor(nextIp / 250)}.${(nextIp++ % 250) + 1}`,
      allocateNodePort: () => nextNodePort++,
    })
  }

  function mustGet(target: Target): Obj {
    const obj = store.get(target.type, target.namespace, target.name!)
    if (obj === undefined) throw notFound(target.type, target.name!)
    return obj
  }

  /** PUT semantics: the status subresource changes status only, the main resource everything else. */
  function update(res: ServerResponse, target: Target, obj: Obj, fieldValidation: FieldValidation, dryRun: boolean, view: (o: Obj) => Obj): void {
    if (target.name === undefined) throw new StoreError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
    if (obj.metadata?.name !== undefined && obj.metadata.name !== target.name) {
      throw new StoreError(400, 'BadRequest', `the name of the object (${obj.metadata.name}) does not match the name on the URL (${target.name})`)
    }
    const current = mustGet(target)
    const shown = view(current)
    const next = target.type.status
      ? target.subresource === 'status'
        ? { ...shown, status: obj.status, metadata: { ...shown.metadata, resourceVersion: obj.metadata?.resourceVersion } }
        : { ...obj, ...(shown.status !== undefined ? { status: shown.status } : {}) }
      : obj
    const admitted = admitWrite(target.type, { ...next, metadata: { ...next.metadata, name: target.name } }, fieldValidation, shown)
    const updated = store.update(registry.storageType(target.type), target.namespace, target.name, admitted.obj, dryRun)
    if (!dryRun) afterWrite(target.type, updated, 'updated')
    reply(res, 200, view(updated), admitted.warnings)
  }

  function remove(t: ResourceType, namespace: string | undefined, name: string, dryRun: boolean): Obj {
    const deleted = store.delete(registry.storageType(t), namespace, name, dryRun)
    if (dryRun) return deleted
    if (t.kind === 'Namespace' && t.group === '') {
      // The namespace controller's work, done at once: everything in it goes with it.
      for (const [storage, o] of store.inNamespace(name)) {
        const ot = registry.all.find((x) => x.storage === storage)
        if (ot) store.delete(registry.storageType(ot), name, o.metadata!.name!)
      }
    }
    if (t.kind === 'CustomResourceDefinition') {
      const served = registry.all.filter((x) => x.crd === name)
      for (const ot of served.slice(0, 1)) for (const o of store.allOf(ot.storage)) store.delete(ot, o.metadata?.namespace, o.metadata!.name!)
      registry.setCrdTypes(name, [])
    }
    return deleted
  }

  /** The apiextensions controller's work: a written CRD's resources are served, and it says so in its status. */
  function afterWrite(t: ResourceType, obj: Obj, _how: 'created' | 'updated'): void {
    if (t.kind !== 'CustomResourceDefinition') return
    const crd = obj as unknown as CrdObject
    registry.setCrdTypes(crd.metadata.name, typesOfCrd(crd))
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message })
    const storage = crd.spec.versions.find((v) => v.storage)?.name
    const current = store.get(t, undefined, crd.metadata.name)!
    const statusBody = {
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
      acceptedNames: crd.spec.names,
      storedVersions: storage ? [storage] : [],
    }
    if (JSON.stringify((current.status as { acceptedNames?: unknown })?.acceptedNames) === JSON.stringify(statusBody.acceptedNames)) return
    store.update(t, undefined, crd.metadata.name, { ...current, status: statusBody })
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`

  function applyOne(obj: Obj): Obj {
    const t = type(obj.kind ?? '', obj.apiVersion)
    const ns = t.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined
    if (ns !== undefined && options.createNamespaces !== false && !store.get(type('Namespace'), undefined, ns)) {
      applyOne({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    }
    requireNamespace(ns)
    const name = obj.metadata?.name ?? ''
    const current = store.get(registry.storageType(t), ns, name)
    const { resourceVersion: _rv, ...meta } = obj.metadata ?? {}
    const admitted = admitWrite(t, { ...obj, metadata: { ...meta, ...(ns ? { namespace: ns } : {}) } }, 'Ignore', current)
    const written =
      current === undefined ? store.create(registry.storageType(t), ns, admitted.obj) : store.update(registry.storageType(t), ns, name, admitted.obj)
    afterWrite(t, written, current === undefined ? 'created' : 'updated')
    return written
  }

  for (const name of NAMESPACES) applyOne({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })
  if (options.crds !== false) for (const crd of traefikCrds()) applyOne(crd)

  return {
    url,
    ...(ca ? { caCert: ca.cert } : {}),
    store,
    registry,
    faults,
    requests,
    get openWatches() {
      return watches.size
    },
    kubeconfig: (o = {}) => kubeconfigYaml(url, o.token ?? options.token, ca?.cert),
    serviceAccountToken: issueToken,
    apply: (...objects) => objects.map(applyOne),
    remove: (kind, namespace, name, apiVersion) => {
      const t = type(kind, apiVersion)
      const ns = t.namespaced ? (namespace ?? 'default') : undefined
      if (store.get(registry.storageType(t), ns, name) === undefined) return false
      remove(t, ns, name, false)
      return true
    },
    objects: (kind, namespace, apiVersion) => {
      const t = type(kind, apiVersion)
      const list = store.list(registry.storageType(t), namespace)
      return t.group === 'events.k8s.io' ? list.map(eventToV1) : list
    },
    lie: (change, obj) => store.emitUnstored(registry.storageType(type(obj.kind ?? '', obj.apiVersion)), change, obj),
    dropWatches: (how = 'end') => {
      for (const w of [...watches]) w.close(how)
    },
    churn: (o) => {
      churn = o ? { options: o, random: prng(o.seed ?? 1) } : null
      // Watches opened before churn would otherwise live on undisturbed.
      if (o) for (const w of [...watches]) w.close('end')
    },
    expireEvents: () => store.expire((s) => registry.all.find((t) => t.storage === s)),
    close: async () => {
      clearInterval(sweeper)
      for (const w of [...watches]) w.close('reset')
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Traefik's CustomResourceDefinitions as deploy/crds ships them. */
export function traefikCrds(): Obj[] {
  const text = readFileSync(join(REPO_ROOT, 'deploy/crds/kubernetes-crd-definition-v1.yml'), 'utf8')
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter((d) => d && d.kind === 'CustomResourceDefinition')
}

function dryRunOf(params: URLSearchParams): boolean {
  const values = params.getAll('dryRun')
  if (values.length === 0) return false
  if (values.every((v) => v === 'All')) return true
  throw new StoreError(400, 'BadRequest', `dryRun: Unsupported value: ${JSON.stringify(values.find((v) => v !== 'All'))}: supported values: "All"`)
}

function fieldValidationOf(params: URLSearchParams): FieldValidation {
  const v = params.get('fieldValidation') ?? ''
  if (v === '') return 'Warn'
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v
  throw new StoreError(400, 'BadRequest', `fieldValidation: Unsupported value: ${JSON.stringify(v)}: supported values: "Ignore", "Strict", "Warn"`)
}

function toTls(pem: { cert: string; key: string }) {
  return { cert: pem.cert, key: pem.key }
}

function kubeconfigYaml(server: string, token: string | undefined, caCert: string | undefined): string {
  const cluster = caCert
    ? `    server: ${server}\n    certificate-authority-data: ${Buffer.from(caCert).toString('base64')}`
    : // client-node refuses plain HTTP unless TLS verification is off.
      `    server: ${server}\n    insecure-skip-tls-verify: true`
  const user = token ? `    token: ${token}` : '    {}'
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    cluster,
    'users:',
    '- name: test',
    '  user:',
    user,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: test',
    'current-context: test',
    '',
  ].join('\n')
}

function tryParse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown
  } catch {
    return null
  }
}

function parse(body: string): Obj {
  const v = tryParse(body)
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Obj
  throw new StoreError(400, 'BadRequest', 'the request body is not a JSON object')
}

function reply(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = JSON.stringify(body)
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) }
  // RFC 7234 warn-code 299 with the agent "-", as the API server sends them.
  if (warnings.length) headers.warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`)
  res.writeHead(code, headers)
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

export type { StatusBody }
