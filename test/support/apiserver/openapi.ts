// OpenAPI as kubectl reads it: v3 (/openapi/v3, an index of one document per group-version whose
// URLs carry a content hash; each document holds the kinds' schemas with
// x-kubernetes-group-version-kind, and paths whose operations name their kind and take the
// dryRun/fieldManager/fieldValidation parameters: kubectl checks the PATCH operation for
// fieldValidation before it relies on server-side validation; `kubectl explain` reads the
// schemas) and v2 (/openapi/v2 as JSON, the same schemas under `definitions`). Built from the
// served types, so a CRD shows up as soon as it is installed. No protobuf: a client that accepts
// only protobuf gets 406.
import { createHash } from 'node:crypto'
import { apiVersionOf, type ResourceType } from './resources.ts'
import { OBJECT_META } from './schema/builtin-schemas.ts'
import type { Schema } from './schema/structural.ts'

const OBJECT_META_NAME = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'
const KUBE_VERSION = 'v1.32.0'

/** Kubernetes' definition names: io.k8s.api.core.v1.Service, io.traefik.v1alpha1.IngressRoute. */
export function definitionName(t: ResourceType, kind = t.kind): string {
  if (t.crd !== undefined) return `${t.group.split('.').reverse().join('.')}.${t.version}.${kind}`
  if (t.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${t.version}.${kind}`
  return `io.k8s.api.${t.group === '' ? 'core' : t.group.split('.')[0]}.${t.version}.${kind}`
}

function gvk(t: ResourceType, kind = t.kind) {
  return { group: t.group, kind, version: t.version }
}

/** A served schema: metadata as a reference to ObjectMeta, Kubernetes' extensions kept. */
function served(t: ResourceType, ref: (name: string) => string): Schema {
  const s = structuredClone(t.schema)
  delete s['x-kind']
  s.properties = { ...s.properties, metadata: { description: "Standard object's metadata.", allOf: [{ $ref: ref(OBJECT_META_NAME) }] } }
  return { ...s, 'x-kubernetes-group-version-kind': [gvk(t)] }
}

function listSchema(t: ResourceType, ref: (name: string) => string): Schema {
  return {
    description: `${t.listKind} is a list of ${t.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      items: { type: 'array', items: { $ref: ref(definitionName(t)) } },
    },
    'x-kubernetes-group-version-kind': [gvk(t, t.listKind)],
  }
}

const QUERY = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } })
const WRITE_PARAMS = [
  QUERY('dryRun', 'When present, indicates that modifications should not be persisted.'),
  QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  QUERY(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.',
  ),
]

function operationId(action: string, t: ResourceType, namespaced: boolean): string {
  const gv = apiVersionOf(t)
    .split(/[./]/)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join('')
  return `${action}${gv}${namespaced ? 'Namespaced' : ''}${t.kind}`
}

function pathsOf(t: ResourceType, v3: boolean, ref: (name: string) => string): Record<string, unknown> {
  const prefix = t.group === '' ? '/api/v1' : `/apis/${t.group}/${t.version}`
  const collection = t.namespaced ? `${prefix}/namespaces/{namespace}/${t.plural}` : `${prefix}/${t.plural}`
  const body = (name: string) =>
    v3
      ? { requestBody: { content: { '*/*': { schema: { $ref: ref(name) } } }, required: true } }
      : { parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: ref(name) } }] }
  const responses = (name: string) => ({
    responses: { 200: { description: 'OK', ...(v3 ? { content: { 'application/json': { schema: { $ref: ref(name) } } } } : { schema: { $ref: ref(name) } }) } },
  })
  const op = (action: string, verb: string, kind: string, extra: Record<string, unknown> = {}) => {
    const own = (extra.parameters as unknown[] | undefined) ?? []
    const params = [...own, ...(['create', 'update', 'patch'].includes(action) ? WRITE_PARAMS : [])].map((p) => (v3 ? p : v2Param(p as V3Param)))
    return {
      operationId: operationId(verb, t, t.namespaced),
      ...extra,
      ...(params.length ? { parameters: params } : {}),
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk(t, kind),
    }
  }
  const patchTypes = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(t.crd ? [] : ['application/strategic-merge-patch+json']),
    'application/apply-patch+yaml',
  ]
  const patchBody = v3
    ? { requestBody: { content: Object.fromEntries(patchTypes.map((c) => [c, { schema: { type: 'object' } }])), required: true } }
    : { consumes: patchTypes, parameters: [{ name: 'body', in: 'body', required: true, schema: { type: 'object' } }] }
  const scope = t.namespaced ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }] : []
  const named = [{ name: 'name', in: 'path', required: true, schema: { type: 'string', uniqueItems: true } }, ...scope]
  const fixParams = (ps: V3Param[]) => (v3 ? ps : ps.map(v2Param))
  const def = definitionName(t)
  if (t.virtual) return { [collection]: { post: op('post', 'create', t.kind, { ...body(def), ...responses(def) }) } }
  return {
    [collection]: {
      get: op('list', 'list', t.kind, responses(definitionName(t, t.listKind))),
      post: op('post', 'create', t.kind, { ...body(def), ...responses(def) }),
      delete: op('deletecollection', 'deleteCollection', t.kind),
      parameters: fixParams(scope),
    },
    [`${collection}/{name}`]: {
      get: op('get', 'read', t.kind, responses(def)),
      put: op('put', 'replace', t.kind, { ...body(def), ...responses(def) }),
      patch: op('patch', 'patch', t.kind, { ...patchBody, ...responses(def) }),
      delete: op('delete', 'delete', t.kind),
      parameters: fixParams(named),
    },
    ...(t.namespaced ? { [`${prefix}/${t.plural}`]: { get: op('list', 'listForAllNamespaces', t.kind, responses(definitionName(t, t.listKind))) } } : {}),
  }
}

interface V3Param {
  name: string
  in: string
  description?: string
  required?: boolean
  schema?: { type: string; uniqueItems?: boolean }
}

function v2Param(p: V3Param | Record<string, unknown>): Record<string, unknown> {
  const { schema, ...rest } = p as V3Param
  if (rest.in === 'body') return p as Record<string, unknown>
  return { ...rest, type: schema?.type ?? 'string', ...(schema?.uniqueItems ? { uniqueItems: true } : {}) }
}

/** `api/v1`, `apis/traefik.io/v1alpha1`: the group-version documents' keys. */
function gvKey(t: ResourceType): string {
  return t.group === '' ? 'api/v1' : `apis/${t.group}/${t.version}`
}

function gvDocument(types: readonly ResourceType[]) {
  const ref = (name: string) => `#/components/schemas/${name}`
  const schemas: Record<string, unknown> = { [OBJECT_META_NAME]: OBJECT_META }
  let paths: Record<string, unknown> = {}
  for (const t of types) {
    schemas[definitionName(t)] = served(t, ref)
    if (!t.virtual) schemas[definitionName(t, t.listKind)] = listSchema(t, ref)
    paths = { ...paths, ...pathsOf(t, true, ref) }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: KUBE_VERSION }, paths, components: { schemas } }
}

export interface OpenApiAnswer {
  status: number
  body: unknown
  etag?: string
}

/** The OpenAPI document at `pathname`, or null when it is not an OpenAPI path. */
export function openapi(pathname: string, accept: string, types: readonly ResourceType[]): OpenApiAnswer | null {
  const path = pathname.replace(/\/+$/, '')
  if (path === '/openapi/v2') {
    if (!/json|\*\/\*/.test(accept) && accept !== '') return { status: 406, body: { message: 'only application/json is served' } }
    const ref = (name: string) => `#/definitions/${name}`
    const definitions: Record<string, unknown> = { [OBJECT_META_NAME]: OBJECT_META }
    let paths: Record<string, unknown> = {}
    for (const t of types) {
      definitions[definitionName(t)] = served(t, ref)
      if (!t.virtual) definitions[definitionName(t, t.listKind)] = listSchema(t, ref)
      paths = { ...paths, ...pathsOf(t, false, ref) }
    }
    return { status: 200, body: { swagger: '2.0', info: { title: 'Kubernetes', version: KUBE_VERSION }, paths, definitions } }
  }
  if (!path.startsWith('/openapi/v3')) return null
  const byGv = new Map<string, ResourceType[]>()
  for (const t of types) byGv.set(gvKey(t), [...(byGv.get(gvKey(t)) ?? []), t])
  if (path === '/openapi/v3') {
    const index: Record<string, { serverRelativeURL: string }> = {}
    for (const [key, list] of byGv) index[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(gvDocument(list))}` }
    return { status: 200, body: { paths: index } }
  }
  const list = byGv.get(path.slice('/openapi/v3/'.length))
  if (!list) return { status: 404, body: { message: `no OpenAPI document at ${pathname}` } }
  const doc = gvDocument(list)
  return { status: 200, body: doc, etag: `"${hashOf(doc)}"` }
}

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase()
}
