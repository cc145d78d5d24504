// What the API server does to an object between the request and storage, in its order: decoding
// against the type's schema (unknown fields pruned; fieldValidation=Strict refuses them, Warn
// reports them as Warning headers), defaulting (the schema's defaults, then the kind's own:
// Service, Secret stringData, Namespace), and validation (metadata, the schema with its CEL rules,
// the kind's own rules), refused as 422 Invalid with one cause per field.
import { eventToCore } from './event-versions.ts'
import { apiVersionOf, qualifiedResource, type ResourceType } from './resources.ts'
import { applyDefaults, forbidden, invalid, prune, required, validate, type FieldError } from './schema/structural.ts'
import { StoreError, type Obj } from './store.ts'

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore'

export interface AdmissionContext {
  fieldValidation: FieldValidation
  /** The stored object an update replaces. */
  old?: Obj
  /** A free cluster IP for a new Service. */
  allocateClusterIp(): string
  allocateNodePort(): number
}

export interface Admitted {
  /** In storage form (core/v1 for Events). */
  obj: Obj
  warnings: string[]
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SUBDOMAIN_HELP =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_HELP =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

/** 422 Invalid, as apimachinery's NewInvalid words it. */
export function invalidError(type: ResourceType, name: string, errors: FieldError[]): StoreError {
  const text = errors.map((e) => `${e.field}: ${e.detail}`)
  const kind = type.group === '' ? type.kind : `${type.kind}.${type.group}`
  return new StoreError(422, 'Invalid', `${kind} "${name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`, {
    name,
    ...(type.group ? { group: type.group } : {}),
    kind: type.kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
  })
}

export function admit(type: ResourceType, input: Obj, ctx: AdmissionContext): Admitted {
  const obj = structuredClone(input)
  const warnings: string[] = []
  const expected = apiVersionOf(type)
  if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
    throw new StoreError(400, 'BadRequest', `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`)
  }
  if (obj.kind !== undefined && obj.kind !== type.kind) {
    throw new StoreError(400, 'BadRequest', `the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`)
  }
  obj.apiVersion = expected
  obj.kind = type.kind

  const unknown = prune(obj, type.schema)
  if (unknown.length > 0 && ctx.fieldValidation === 'Strict') {
    throw new StoreError(
      400,
      'BadRequest',
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
    )
  }
  if (ctx.fieldValidation === 'Warn') for (const f of unknown) warnings.push(`unknown field "${f}"`)

  applyDefaults(obj, type.schema)
  KIND_DEFAULTS[type.kind]?.(obj, ctx)

  const name = obj.metadata?.name ?? ''
  const errors = [...metadataErrors(type, obj), ...validate(obj, type.schema, '', ctx.old), ...(KIND_RULES[`${type.group}/${type.kind}`]?.(obj, ctx.old) ?? [])]
  if (errors.length > 0) throw invalidError(type, name, errors)
  return { obj: type.group === 'events.k8s.io' ? eventToCore(obj) : obj, warnings }
}

function metadataErrors(type: ResourceType, obj: Obj): FieldError[] {
  const meta = obj.metadata ?? {}
  const name = meta.name
  if (!name) return meta.generateName ? [] : [required('metadata.name', 'name or generateName is required')]
  if (type.group === 'rbac.authorization.k8s.io') {
    return /[/%]/.test(name) || name === '.' || name === '..' ? [invalid('metadata.name', name, 'may not contain "/" or "%"')] : []
  }
  if (type.kind === 'CustomResourceDefinition') {
    const spec = (obj.spec ?? {}) as { names?: { plural?: string }; group?: string }
    const want = `${spec.names?.plural}.${spec.group}`
    return name === want ? [] : [invalid('metadata.name', name, `must be spec.names.plural+"."+spec.group`)]
  }
  const label = type.kind === 'Namespace' || type.kind === 'Service'
  if (name.length > (label ? 63 : 253) || !(label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(name)) {
    return [invalid('metadata.name', name, label ? LABEL_HELP : SUBDOMAIN_HELP)]
  }
  return []
}

const KIND_DEFAULTS: Record<string, (obj: Obj, ctx: AdmissionContext) => void> = {
  Namespace: (obj) => {
    obj.metadata = { ...obj.metadata, labels: { ...obj.metadata?.labels, 'kubernetes.io/metadata.name': obj.metadata?.name ?? '' } }
    obj.spec = { finalizers: ['kubernetes'], ...(obj.spec as object) }
    obj.status = { phase: 'Active' }
  },
  // Service defaults (k8s.io/kubernetes/pkg/apis/core/v1/defaults.go) and the allocators' work.
  Service: (obj, ctx) => {
    const spec = (obj.spec ??= {}) as Record<string, unknown>
    const old = ctx.old?.spec as Record<string, unknown> | undefined
    spec.type ??= 'ClusterIP'
    spec.sessionAffinity ??= 'None'
    const ports = Array.isArray(spec.ports) ? (spec.ports as Array<Record<string, unknown>>) : []
    for (const p of ports) {
      p.protocol ??= 'TCP'
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port
    }
    if (spec.type === 'ExternalName') return
    spec.internalTrafficPolicy ??= 'Cluster'
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = (old?.clusterIP as string | undefined) ?? ctx.allocateClusterIp()
    if (spec.clusterIP !== 'None') {
      spec.clusterIPs ??= [spec.clusterIP]
      spec.ipFamilies ??= ['IPv4']
      spec.ipFamilyPolicy ??= 'SingleStack'
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      spec.externalTrafficPolicy ??= 'Cluster'
      const oldPorts = (old?.ports ?? []) as Array<Record<string, unknown>>
      for (const p of ports) p.nodePort ??= oldPorts.find((o) => o.port === p.port)?.nodePort ?? ctx.allocateNodePort()
    }
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true
  },
  // stringData is write-only: folded into data (it wins over data for the same key), then dropped.
  Secret: (obj) => {
    obj.type ??= 'Opaque'
    const stringData = obj.stringData as Record<string, unknown> | undefined
    if (stringData && typeof stringData === 'object') {
      const data = { ...((obj.data as Record<string, string> | undefined) ?? {}) }
      for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64')
      obj.data = data
    }
    delete obj.stringData
  },
  CustomResourceDefinition: (obj) => {
    const spec = obj.spec as { names?: Record<string, unknown>; versions?: Array<Record<string, unknown>>; conversion?: unknown }
    if (spec?.names) {
      spec.names.singular ??= String(spec.names.kind ?? '').toLowerCase()
      spec.names.listKind ??= `${spec.names.kind}List`
    }
    ;(spec as Record<string, unknown>).conversion ??= { strategy: 'None' }
  },
}

type Rule = (obj: Obj, old: Obj | undefined) => FieldError[]

const KIND_RULES: Record<string, Rule> = {
  '/Service': (obj) => {
    const spec = (obj.spec ?? {}) as Record<string, unknown>
    const ports = (spec.ports ?? []) as Array<Record<string, unknown>>
    const errors: FieldError[] = []
    if (spec.type === 'ExternalName') {
      if (!spec.externalName) errors.push(required('spec.externalName'))
      return errors
    }
    if (ports.length === 0 && spec.clusterIP !== 'None') errors.push(required('spec.ports'))
    const names = new Set<unknown>()
    ports.forEach((p, i) => {
      if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
        errors.push(invalid(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'))
      if (ports.length > 1 && !p.name) errors.push(required(`spec.ports[${i}].name`))
      if (p.name && names.has(p.name))
        errors.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}].name`, detail: `Duplicate value: ${JSON.stringify(p.name)}` })
      names.add(p.name)
    })
    return errors
  },
  '/Secret': (obj, old) => {
    const errors: FieldError[] = []
    const data = (obj.data ?? {}) as Record<string, string>
    for (const k of Object.keys(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k))
        errors.push(
          invalid(
            `data[${k}]`,
            k,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
          ),
        )
    }
    if (obj.type === 'kubernetes.io/tls') for (const k of ['tls.crt', 'tls.key']) if (!(k in data)) errors.push(required(`data[${k}]`))
    if (obj.type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) errors.push(required('data[username]'))
    if (old && old.type !== obj.type)
      errors.push({ type: 'FieldValueInvalid', field: 'type', detail: `Invalid value: ${JSON.stringify(obj.type)}: field is immutable` })
    if (old?.immutable === true && JSON.stringify(old.data) !== JSON.stringify(obj.data))
      errors.push(forbidden('data', 'field is immutable when `immutable` is set'))
    return errors
  },
  '/Event': (obj) => {
    const involved = (obj.involvedObject ?? {}) as Record<string, unknown>
    const ns = obj.metadata?.namespace
    if (involved.namespace && ns && involved.namespace !== ns)
      return [invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace')]
    return []
  },
  // events.k8s.io/v1 requires what the new events API always writes.
  'events.k8s.io/Event': (obj) => {
    const errors: FieldError[] = []
    for (const f of ['eventTime', 'reportingController', 'reportingInstance', 'action', 'reason']) if (!obj[f]) errors.push(required(f))
    if (obj.type !== 'Normal' && obj.type !== 'Warning')
      errors.push({
        type: 'FieldValueNotSupported',
        field: 'type',
        detail: `Unsupported value: ${JSON.stringify(obj.type ?? '')}: supported values: "Normal", "Warning"`,
      })
    if (typeof obj.note === 'string' && obj.note.length > 1024)
      errors.push({ type: 'FieldValueTooLong', field: 'note', detail: 'Too long: may not be more than 1024 bytes' })
    return errors
  },
  'coordination.k8s.io/Lease': (obj) => {
    const spec = (obj.spec ?? {}) as Record<string, unknown>
    const errors: FieldError[] = []
    if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0)
      errors.push(invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'))
    if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
      errors.push(invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'))
    return errors
  },
  'discovery.k8s.io/EndpointSlice': (obj, old) => {
    const errors: FieldError[] = []
    if (!obj.addressType) errors.push(required('addressType'))
    if (old && old.addressType !== obj.addressType)
      errors.push({ type: 'FieldValueInvalid', field: 'addressType', detail: `Invalid value: ${JSON.stringify(obj.addressType)}: field is immutable` })
    const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
    ;((obj.endpoints ?? []) as Array<{ addresses?: string[] }>).forEach((e, i) => {
      ;(e.addresses ?? []).forEach((a, j) => {
        if (obj.addressType === 'IPv4' && !ipv4.test(a)) errors.push(invalid(`endpoints[${i}].addresses[${j}]`, a, 'must be a valid IPv4 address'))
      })
    })
    return errors
  },
  'apps/Deployment': (obj) => {
    const spec = (obj.spec ?? {}) as { selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> } } }
    const want = spec.selector?.matchLabels ?? {}
    const labels = spec.template?.metadata?.labels ?? {}
    if (!Object.entries(want).every(([k, v]) => labels[k] === v))
      return [invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`')]
    return []
  },
  'apiextensions.k8s.io/CustomResourceDefinition': (obj) => {
    const versions = (obj.spec as { versions?: Array<{ storage?: boolean; name?: string }> })?.versions ?? []
    const errors: FieldError[] = []
    if (versions.filter((v) => v.storage).length !== 1)
      errors.push(invalid('spec.versions', 'array', 'must have exactly one version marked as storage version'))
    return errors
  },
}

/** The Status of a refused write, named as the API names the resource. */
export function alreadyExists(type: ResourceType, name: string): StoreError {
  return new StoreError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, { name, kind: type.plural })
}
