// The resource types the test API server serves: the built-in kinds it knows and those the
// installed CustomResourceDefinitions add (registered when a CRD is written, gone when it is
// deleted), and how a request path names one of them (/api/v1/... for the core group,
// /apis/GROUP/VERSION/... otherwise).
import { BUILTIN_SCHEMAS, EVENTS_V1_SCHEMA, OBJECT_META, str } from './schema/builtin-schemas.ts'
import type { Schema } from './schema/structural.ts'

export interface PrinterColumn {
  name: string
  type: string
  jsonPath: string
  format?: string
  description?: string
  priority?: number
}

export interface ResourceType {
  group: string
  version: string
  /** URL segment, as the API names it. */
  plural: string
  singular: string
  kind: string
  listKind: string
  namespaced: boolean
  /** Has a /status subresource (status changed only there, spec only on the main resource). */
  status?: boolean
  shortNames?: string[]
  categories?: string[]
  verbs: string[]
  /** The whole object's schema (validation, pruning, defaulting, OpenAPI). */
  schema: Schema
  columns?: PrinterColumn[]
  /** Objects of types with the same storage key are one set (core/v1 and events.k8s.io/v1 Events). */
  storage: string
  /** Name of the CRD that defines it. */
  crd?: string
  /** Only `create` (reviews): nothing is stored. */
  virtual?: boolean
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

function rootSchema(kind: string, fields: Record<string, Schema>, description = ''): Schema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties: {
      apiVersion: { ...str, description: 'APIVersion defines the versioned schema of this representation of an object.' },
      kind: { ...str, description: 'Kind is a string value representing the REST resource this object represents.' },
      metadata: OBJECT_META,
      ...fields,
    },
    'x-kind': kind,
  }
}

function builtin(group: string, version: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    listKind: `${kind}List`,
    namespaced,
    verbs: ALL_VERBS,
    schema: rootSchema(kind, BUILTIN_SCHEMAS[kind] ?? {}),
    storage: `${group}/${plural}`,
    ...extra,
  }
}

const CORE_EVENT = builtin('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] })

export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', false, {
    status: true,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  builtin('', 'v1', 'Node', 'nodes', false, { status: true, shortNames: ['no'] }),
  builtin('', 'v1', 'Service', 'services', true, { status: true, shortNames: ['svc'], categories: ['all'] }),
  builtin('', 'v1', 'Secret', 'secrets', true),
  builtin('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  CORE_EVENT,
  builtin('events.k8s.io', 'v1', 'Event', 'events', true, { shortNames: ['ev'], storage: CORE_EVENT.storage, schema: rootSchema('Event', EVENTS_V1_SCHEMA) }),
  builtin('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  builtin('apps', 'v1', 'Deployment', 'deployments', true, { status: true, shortNames: ['deploy'], categories: ['all'] }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { status: true, shortNames: ['pdb'] }),
  builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, { status: true, shortNames: ['crd', 'crds'] }),
  builtin('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'], virtual: true }),
  builtin('authorization.k8s.io', 'v1', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews', false, { verbs: ['create'], virtual: true }),
]

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`
}

/** `ingressroutes.traefik.io`, `services`: how RBAC messages and NotFound name a resource. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`
}

/** The types one CustomResourceDefinition serves (one per served version). */
export function typesOfCrd(crd: CrdObject): ResourceType[] {
  const spec = crd.spec
  const names = spec.names
  return spec.versions
    .filter((v) => v.served !== false)
    .map((v) => {
      const columns: PrinterColumn[] = v.additionalPrinterColumns?.length
        ? v.additionalPrinterColumns
        : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }]
      const schema = (v.schema?.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Schema
      return {
        group: spec.group,
        version: v.name,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        namespaced: spec.scope === 'Namespaced',
        status: v.subresources?.status !== undefined,
        ...(names.shortNames ? { shortNames: names.shortNames } : {}),
        ...(names.categories ? { categories: names.categories } : {}),
        verbs: ALL_VERBS,
        schema: { ...schema, properties: { ...schema.properties, metadata: OBJECT_META } },
        columns,
        storage: `${spec.group}/${names.plural}`,
        crd: crd.metadata.name,
      }
    })
}

export interface CrdObject {
  metadata: { name: string }
  spec: {
    group: string
    scope: string
    names: { plural: string; singular?: string; kind: string; listKind?: string; shortNames?: string[]; categories?: string[] }
    versions: Array<{
      name: string
      served?: boolean
      storage?: boolean
      schema?: { openAPIV3Schema?: unknown }
      subresources?: { status?: unknown }
      additionalPrinterColumns?: PrinterColumn[]
    }>
  }
}

/** What a request path addresses: a collection (name undefined) or one object, maybe its status. */
export interface Target {
  type: ResourceType
  /** Undefined: every namespace (or a cluster-scoped resource). */
  namespace?: string
  name?: string
  subresource?: 'status' | 'token'
}

export class ResourceRegistry {
  #types: ResourceType[] = [...BUILTIN_RESOURCES]

  get all(): readonly ResourceType[] {
    return this.#types
  }

  /** Replaces the types a CRD serves (none when it is deleted). */
  setCrdTypes(crdName: string, types: ResourceType[]): void {
    this.#types = [...this.#types.filter((t) => t.crd !== crdName), ...types]
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.#types.find((r) => r.group === group && r.version === version && r.plural === plural)
  }

  byKind(kind: string, apiVersion?: string): ResourceType | undefined {
    return this.#types.find((r) => r.kind === kind && (apiVersion === undefined || apiVersionOf(r) === apiVersion))
  }

  /** The core/v1 type of a storage key (what objects are stored as). */
  storageType(type: ResourceType): ResourceType {
    return this.#types.find((r) => r.storage === type.storage && r.group === '') ?? type
  }

  /** Parses a resource path; null when it names nothing this server serves. */
  parse(pathname: string): Target | null {
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
    let group: string
    let rest: string[]
    if (parts[0] === 'api' && parts[1] === 'v1') {
      group = ''
      rest = parts.slice(2)
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1]!
      rest = parts.slice(3)
    } else {
      return null
    }
    const version = group === '' ? 'v1' : parts[2]!
    let namespace: string | undefined
    // /api/v1/namespaces/NAME is the Namespace itself; /api/v1/namespaces/NS/PLURAL... a collection in it.
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1]
      rest = rest.slice(2)
    }
    const type = this.find(group, version, rest[0] ?? '')
    if (type === undefined || rest.length > 3) return null
    if (namespace !== undefined && !type.namespaced) return null
    const sub = rest[2]
    if (sub !== undefined && !(sub === 'status' && type.status) && !(sub === 'token' && type.kind === 'ServiceAccount')) return null
    return {
      type,
      ...(namespace === undefined ? {} : { namespace }),
      ...(rest[1] === undefined ? {} : { name: rest[1] }),
      ...(sub === 'status' || sub === 'token' ? { subresource: sub } : {}),
    }
  }
}
