/**
 * The few Kubernetes object shapes the compiler reads. Only the fields Traefik's provider
 * consults are typed; everything is optional because input is user-written YAML.
 *
 * @module
 */

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  creationTimestamp?: string
  uid?: string
  resourceVersion?: string
}

/** Any Kubernetes object as read from YAML or from the API. */
export interface KubeObject<Spec = unknown> {
  apiVersion?: string
  kind?: string
  metadata?: ObjectMeta
  spec?: Spec
}

export interface ServicePort {
  name?: string
  protocol?: string
  port?: number
  targetPort?: number | string
  nodePort?: number
}

export interface ServiceSpec {
  type?: string
  ports?: ServicePort[]
  clusterIP?: string
  clusterIPs?: string[]
  externalName?: string
  selector?: Record<string, string>
}

export type Service = KubeObject<ServiceSpec>

export interface EndpointConditions {
  ready?: boolean | null
  serving?: boolean | null
  terminating?: boolean | null
}

export interface Endpoint {
  addresses?: string[]
  conditions?: EndpointConditions
  hostname?: string
  nodeName?: string
  zone?: string
}

export interface EndpointPort {
  name?: string | null
  port?: number | null
  protocol?: string
  appProtocol?: string
}

export interface EndpointSlice extends KubeObject<never> {
  addressType?: string
  endpoints?: Endpoint[] | null
  ports?: EndpointPort[] | null
}

export interface Secret extends KubeObject<never> {
  type?: string
  /** base64 values, as the API returns them. Traefik reads only `data`. */
  data?: Record<string, string>
  stringData?: Record<string, string>
}

export interface ConfigMap extends KubeObject<never> {
  data?: Record<string, string>
  binaryData?: Record<string, string>
}

export interface NodeAddress {
  type?: string
  address?: string
}

export interface Node extends KubeObject<unknown> {
  status?: { addresses?: NodeAddress[] }
}
