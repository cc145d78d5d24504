// A Kubernetes API server for tests: the list/watch/CRUD protocol over real HTTP(S) for the kinds
// the controller reads and writes (resources.ts), with CRD validation on traefik.io objects,
// optimistic concurrency (409), 410 Gone after compaction, bearer-token auth, and fault injection
// (5xx on N requests, slow answers, dropped watch connections).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { leafCert, testCa } from '../certs.ts'
import { Faults } from './faults.ts'
import { listObjects } from './list.ts'
import { mergePatch } from './merge-patch.ts'
import { parseResourcePath, RESOURCES, type ResourceType, type Target } from './resources.ts'
import { selectorOf } from './selectors.ts'
import { status, type StatusBody } from './status.ts'
import { notFound, ObjectStore, StoreError, type Obj } from './store.ts'
import { admissionFailure } from './validate.ts'
import { serveWatch, type OpenWatch } from './watch.ts'

export interface ApiServerOptions {
  /** Serve HTTPS with a certificate from testCa(). */
  tls?: boolean
  /** Require `Authorization: Bearer TOKEN`. */
  token?: string
  /** How often watches that allow bookmarks get one. Default 1000 ms. */
  bookmarkIntervalMs?: number
  /** Changes kept for watches to resume from. */
  maxHistory?: number
}

export interface TestApiServer {
  /** `http(s)://127.0.0.1:PORT` */
  readonly url: string
  /** PEM of the CA that signed the server certificate (tls only). */
  readonly caCert?: string
  readonly store: ObjectStore
  readonly faults: Faults
  /** `METHOD /path?query` of every request, in arrival order. */
  readonly requests: string[]
  /** Watches currently open. */
  readonly openWatches: number
  /** Kubeconfig (YAML) for client-node's KubeConfig.loadFromString. */
  kubeconfig(): string
  /** Creates or replaces objects (kind and apiVersion pick the resource) as a client would; validation applies. */
  apply(...objects: Obj[]): Obj[]
  /** Deletes an object; false when it was not there. */
  remove(kind: string, namespace: string | undefined, name: string, apiVersion?: string): boolean
  /** Objects of a kind (namespace optional). */
  objects(kind: string, namespace?: string, apiVersion?: string): Obj[]
  /** Sends a watch event that storage does not reflect (see ObjectStore.emitUnstored). */
  lie(change: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj): void
  /** Ends every open watch, cleanly or by resetting the connection. */
  dropWatches(how?: 'end' | 'reset'): void
  close(): Promise<void>
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<TestApiServer> {
  const store = new ObjectStore(options.maxHistory)
  const faults = new Faults()
  const requests: string[] = []
  const watches = new Set<OpenWatch>()
  const ca = options.tls ? testCa() : undefined
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof StoreError ? err : new StoreError(500, 'InternalError', String(err))
      if (!res.headersSent) reply(res, e.code, status(e.code, e.reason, e.message))
      else res.destroy()
    })
  }
  const server: Server = options.tls ? createHttpsServer({ ...toTls(leafCert({ ip: ['127.0.0.1'] })) }, handler) : createHttpServer(handler)

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://apiserver')
    const line = `${req.method} ${url.pathname}${url.search}`
    requests.push(line)
    const body = await readBody(req)
    if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs))
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      return reply(res, 401, status(401, 'Unauthorized', 'Unauthorized'))
    }
    const injected = faults.take(line)
    if (injected !== undefined) return reply(res, injected, status(injected, 'InternalError', `injected fault: HTTP ${injected}`))
    const target = parseResourcePath(url.pathname)
    if (target === null) return reply(res, 404, status(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`))
    const params = url.searchParams
    switch (req.method) {
      case 'GET': {
        const watching = params.get('watch') === 'true' || params.get('watch') === '1'
        if (watching) {
          const open = serveWatch(store, target, params, selectorOf(params), res, { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000 }, () =>
            watches.delete(open!),
          )
          if (open) watches.add(open)
          return
        }
        if (target.name === undefined) return reply(res, 200, listObjects(store, target, params, selectorOf(params)))
        return reply(res, 200, mustGet(target))
      }
      case 'POST':
        if (target.name !== undefined) throw new StoreError(405, 'MethodNotAllowed', 'POST to an object')
        return write(res, 201, parse(body), (obj) => store.create(target.type, target.namespace, obj))
      case 'PUT':
        return write(res, 200, parse(body), (obj) => update(target, obj))
      case 'PATCH': {
        const type = req.headers['content-type'] ?? ''
        if (!/merge-patch\+json/.test(type)) throw new StoreError(415, 'UnsupportedMediaType', `patch type ${type} not supported by the test API server`)
        const current = mustGet(target)
        return write(res, 200, mergePatch(current, parse(body)) as Obj, (obj) => update(target, obj))
      }
      case 'DELETE': {
        if (target.name === undefined) throw new StoreError(405, 'MethodNotAllowed', 'collection delete not supported')
        return reply(res, 200, store.delete(target.type, target.namespace, target.name))
      }
      default:
        throw new StoreError(405, 'MethodNotAllowed', `${req.method} not allowed`)
    }
  }

  function mustGet(target: Target): Obj {
    const obj = store.get(target.type, target.namespace, target.name!)
    if (obj === undefined) throw notFound(target.type, target.name!)
    return obj
  }

  /** PUT semantics: the status subresource changes status only, the main resource everything else. */
  function update(target: Target, obj: Obj): Obj {
    if (target.name === undefined) throw new StoreError(405, 'MethodNotAllowed', 'PUT to a collection')
    const current = mustGet(target)
    const next = target.type.status
      ? target.subresource === 'status'
        ? { ...current, status: obj.status, metadata: { ...current.metadata, resourceVersion: obj.metadata?.resourceVersion } }
        : { ...obj, status: current.status }
      : obj
    return store.update(target.type, target.namespace, target.name, next)
  }

  function write(res: ServerResponse, code: number, obj: Obj, op: (obj: Obj) => Obj): void {
    const refused = admissionFailure(obj)
    if (refused) return reply(res, 422, refused)
    reply(res, code, op(obj))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`

  const typeOf = (kind: string, apiVersion?: string): ResourceType => {
    const found = RESOURCES.find(
      (r) => r.kind === kind && (apiVersion === undefined || (r.group === '' ? r.version : `${r.group}/${r.version}`) === apiVersion),
    )
    if (found === undefined) throw new Error(`test API server: no resource for ${apiVersion ?? ''} ${kind}`)
    return found
  }

  return {
    url,
    ...(ca ? { caCert: ca.cert } : {}),
    store,
    faults,
    requests,
    get openWatches() {
      return watches.size
    },
    kubeconfig: () => kubeconfigYaml(url, options.token, ca?.cert),
    apply: (...objects) =>
      objects.map((obj) => {
        const type = typeOf(obj.kind ?? '', obj.apiVersion)
        const refused = admissionFailure(obj)
        if (refused) throw new StoreError(422, 'Invalid', refused.message)
        const ns = type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined
        const name = obj.metadata?.name ?? ''
        const current = store.get(type, ns, name)
        if (current === undefined) return store.create(type, ns, obj)
        const { resourceVersion: _rv, ...meta } = obj.metadata ?? {}
        return store.update(type, ns, name, { ...obj, metadata: meta })
      }),
    remove: (kind, namespace, name, apiVersion) => {
      const type = typeOf(kind, apiVersion)
      const ns = type.namespaced ? (namespace ?? 'default') : undefined
      if (store.get(type, ns, name) === undefined) return false
      store.delete(type, ns, name)
      return true
    },
    objects: (kind, namespace, apiVersion) => store.list(typeOf(kind, apiVersion), namespace),
    lie: (change, obj) => store.emitUnstored(typeOf(obj.kind ?? '', obj.apiVersion), change, obj),
    dropWatches: (how = 'end') => {
      for (const w of [...watches]) w.close(how)
    },
    close: async () => {
      for (const w of [...watches]) w.close('reset')
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
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

function parse(body: string): Obj {
  try {
    const v = JSON.parse(body) as unknown
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Obj
  } catch {
    // fall through
  }
  throw new StoreError(400, 'BadRequest', 'the request body is not a JSON object')
}

function reply(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => resolve(Buffer.concat(parts).toString()))
    req.on('error', reject)
  })
}

export type { StatusBody }
