// Schemas of the built-in kinds the test API server knows, in the CRD schema dialect, from the
// Kubernetes API reference (kubernetes.io/docs/reference/kubernetes-api): the fields that exist
// (everything else is pruned, or refused under fieldValidation=Strict), their types and the
// required ones. Parts of a type the tests never write are kept whole
// (x-kubernetes-preserve-unknown-fields) rather than described wrongly.
import type { Schema } from './structural.ts'

const d = (description: string, s: Schema): Schema => ({ description, ...s })
export const str: Schema = { type: 'string' }
const int32: Schema = { type: 'integer', format: 'int32' }
const int64: Schema = { type: 'integer', format: 'int64' }
const bool: Schema = { type: 'boolean' }
const time: Schema = { type: 'string', format: 'date-time' }
const intOrString: Schema = { 'x-kubernetes-int-or-string': true }
const obj = (properties: Record<string, Schema>, required?: string[], extra: Schema = {}): Schema => ({
  type: 'object',
  properties,
  ...(required ? { required } : {}),
  ...extra,
})
const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra })
const mapOf = (values: Schema): Schema => ({ type: 'object', additionalProperties: values })
/** A part of a type the server keeps as given. */
const open = (description = ''): Schema => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(description ? { description } : {}) })

export const OBJECT_META: Schema = d(
  'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  obj({
    name: d('Name must be unique within a namespace.', str),
    generateName: str,
    namespace: d('Namespace defines the space within which each name must be unique.', str),
    uid: str,
    resourceVersion: str,
    generation: int64,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: int64,
    labels: d('Map of string keys and values that can be used to organize and categorize objects.', mapOf(str)),
    annotations: d('Annotations is an unstructured key value map stored with a resource.', mapOf(str)),
    ownerReferences: arr(open()),
    finalizers: arr(str),
    managedFields: arr(open()),
    selfLink: str,
  }),
)

const labelSelector: Schema = obj({
  matchLabels: mapOf(str),
  matchExpressions: arr(obj({ key: str, operator: str, values: arr(str) }, ['key', 'operator'])),
})
const objectReference: Schema = obj({ apiVersion: str, kind: str, name: str, namespace: str, uid: str, resourceVersion: str, fieldPath: str })
const condition = open()

const servicePort = obj(
  {
    name: str,
    protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'] },
    appProtocol: str,
    port: d('The port that will be exposed by this service.', int32),
    targetPort: intOrString,
    nodePort: int32,
  },
  ['port'],
)

const policyRule = obj({ apiGroups: arr(str), resources: arr(str), resourceNames: arr(str), verbs: arr(str), nonResourceURLs: arr(str) }, ['verbs'])
const subject = obj({ kind: str, apiGroup: str, name: str, namespace: str }, ['kind', 'name'])
const roleRef = obj({ apiGroup: str, kind: str, name: str }, ['apiGroup', 'kind', 'name'])

/** Spec and the other top-level fields per kind (apiVersion, kind and metadata are added by the registry). */
export const BUILTIN_SCHEMAS: Record<string, Record<string, Schema>> = {
  Namespace: { spec: obj({ finalizers: arr(str) }), status: obj({ phase: str, conditions: arr(condition) }) },
  Node: {
    spec: open(),
    status: obj({ addresses: arr(obj({ type: str, address: str }, ['type', 'address'])), conditions: arr(condition) }, undefined, {
      'x-kubernetes-preserve-unknown-fields': true,
    }),
  },
  Service: {
    spec: d(
      'Spec defines the behavior of a service.',
      obj({
        type: { type: 'string', enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
        // kubectl's strategic merge patches merge ports by port, as the Service type's tags say.
        ports: arr(servicePort, {
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port', 'protocol'],
          'x-kubernetes-patch-merge-key': 'port',
          'x-kubernetes-patch-strategy': 'merge',
        }),
        selector: mapOf(str),
        clusterIP: str,
        clusterIPs: arr(str),
        externalName: str,
        externalIPs: arr(str),
        sessionAffinity: { type: 'string', enum: ['ClientIP', 'None'] },
        sessionAffinityConfig: open(),
        loadBalancerIP: str,
        loadBalancerSourceRanges: arr(str),
        loadBalancerClass: str,
        externalTrafficPolicy: str,
        internalTrafficPolicy: str,
        ipFamilies: arr(str),
        ipFamilyPolicy: str,
        publishNotReadyAddresses: bool,
        allocateLoadBalancerNodePorts: bool,
        healthCheckNodePort: int32,
        trafficDistribution: str,
      }),
    ),
    status: open(),
  },
  Secret: {
    data: mapOf({ type: 'string', format: 'byte' }),
    stringData: mapOf(str),
    type: str,
    immutable: bool,
  },
  ConfigMap: { data: mapOf(str), binaryData: mapOf({ type: 'string', format: 'byte' }), immutable: bool },
  ServiceAccount: { secrets: arr(objectReference), imagePullSecrets: arr(obj({ name: str })), automountServiceAccountToken: bool },
  Event: {
    involvedObject: objectReference,
    reason: str,
    message: str,
    source: obj({ component: str, host: str }),
    firstTimestamp: time,
    lastTimestamp: time,
    count: int32,
    type: str,
    eventTime: time,
    series: obj({ count: int32, lastObservedTime: time }),
    action: str,
    related: objectReference,
    reportingComponent: str,
    reportingInstance: str,
  },
  EndpointSlice: {
    addressType: { type: 'string', enum: ['IPv4', 'IPv6', 'FQDN'] },
    endpoints: arr(
      obj(
        {
          addresses: arr(str),
          conditions: obj({ ready: bool, serving: bool, terminating: bool }),
          hostname: str,
          targetRef: objectReference,
          nodeName: str,
          zone: str,
          hints: open(),
          deprecatedTopology: mapOf(str),
        },
        ['addresses'],
      ),
    ),
    ports: arr(obj({ name: str, protocol: str, port: int32, appProtocol: str })),
  },
  Lease: {
    spec: obj({
      holderIdentity: str,
      leaseDurationSeconds: int32,
      acquireTime: time,
      renewTime: time,
      leaseTransitions: int32,
      strategy: str,
      preferredHolder: str,
    }),
  },
  Deployment: {
    spec: obj(
      {
        replicas: int32,
        selector: labelSelector,
        template: obj({ metadata: OBJECT_META, spec: open('PodSpec') }),
        strategy: open(),
        minReadySeconds: int32,
        revisionHistoryLimit: int32,
        paused: bool,
        progressDeadlineSeconds: int32,
      },
      ['selector', 'template'],
    ),
    status: open(),
  },
  PodDisruptionBudget: {
    spec: obj({ minAvailable: intOrString, maxUnavailable: intOrString, selector: labelSelector, unhealthyPodEvictionPolicy: str }),
    status: open(),
  },
  NetworkPolicy: {
    spec: obj(
      {
        podSelector: labelSelector,
        policyTypes: arr({ type: 'string', enum: ['Ingress', 'Egress'] }),
        ingress: arr(obj({ from: arr(open()), ports: arr(obj({ protocol: str, port: intOrString, endPort: int32 })) })),
        egress: arr(obj({ to: arr(open()), ports: arr(obj({ protocol: str, port: intOrString, endPort: int32 })) })),
      },
      ['podSelector'],
    ),
  },
  ClusterRole: { rules: arr(policyRule), aggregationRule: open() },
  Role: { rules: arr(policyRule) },
  ClusterRoleBinding: { subjects: arr(subject), roleRef },
  RoleBinding: { subjects: arr(subject), roleRef },
  CustomResourceDefinition: {
    spec: obj(
      {
        group: str,
        names: obj({ plural: str, singular: str, kind: str, listKind: str, shortNames: arr(str), categories: arr(str) }, ['plural', 'kind']),
        scope: { type: 'string', enum: ['Namespaced', 'Cluster'] },
        versions: arr(
          obj(
            {
              name: str,
              served: bool,
              storage: bool,
              deprecated: bool,
              deprecationWarning: str,
              schema: obj({ openAPIV3Schema: open() }),
              subresources: open(),
              additionalPrinterColumns: arr(
                obj({ name: str, type: str, format: str, description: str, priority: int32, jsonPath: str }, ['name', 'type', 'jsonPath']),
              ),
              selectableFields: arr(open()),
            },
            ['name', 'served', 'storage'],
          ),
        ),
        conversion: open(),
        preserveUnknownFields: bool,
      },
      ['group', 'names', 'scope', 'versions'],
    ),
    status: open(),
  },
  SelfSubjectAccessReview: {
    spec: obj({
      resourceAttributes: obj({
        namespace: str,
        verb: str,
        group: str,
        version: str,
        resource: str,
        subresource: str,
        name: str,
        fieldSelector: open(),
        labelSelector: open(),
      }),
      nonResourceAttributes: obj({ path: str, verb: str }),
    }),
    status: obj({ allowed: bool, denied: bool, reason: str, evaluationError: str }),
  },
  SelfSubjectRulesReview: {
    spec: obj({ namespace: str }),
    status: open(),
  },
}

/** The events.k8s.io/v1 view of an Event (the same objects as core/v1's, other field names). */
export const EVENTS_V1_SCHEMA: Record<string, Schema> = {
  eventTime: time,
  series: obj({ count: int32, lastObservedTime: time }, ['count', 'lastObservedTime']),
  reportingController: str,
  reportingInstance: str,
  action: str,
  reason: str,
  regarding: objectReference,
  related: objectReference,
  note: str,
  type: str,
  deprecatedSource: obj({ component: str, host: str }),
  deprecatedFirstTimestamp: time,
  deprecatedLastTimestamp: time,
  deprecatedCount: int32,
}
