/**
 * Specs of Traefik's HTTP CRDs (traefik.io/v1alpha1) as users write them. Everything is
 * optional: input is unvalidated YAML, and the compiler checks what it uses.
 *
 * @module
 */

import type {
  AddPrefix,
  Buffering,
  Compress,
  ContentType,
  Cookie,
  EncodedCharacters,
  ForwardAuth,
  GrpcWeb,
  Headers,
  InFlightReq,
  IPAllowList,
  IPStrategy,
  IPWhiteList,
  PassTLSClientCert,
  RedirectRegex,
  RedirectScheme,
  ReplacePath,
  ReplacePathRegex,
  ServerHealthCheck,
  StripPrefix,
  StripPrefixRegex,
} from '../../../shared/dynamic/types.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'

/** Kubernetes IntOrString. Durations given as an integer mean seconds. */
export type IntOrString = number | string

export interface CRDReference {
  name?: string
  namespace?: string
}

// ---------------------------------------------------------------------------------------------
// IngressRoute

export interface IngressRouteSpec {
  entryPoints?: string[]
  routes?: Route[]
  tls?: IngressRouteTLS | null
  parentRefs?: CRDReference[]
  ingressClassName?: string
}

export interface Route {
  match?: string
  kind?: string
  priority?: number
  syntax?: string
  services?: LoadBalancerSpec[]
  middlewares?: CRDReference[]
  observability?: RouteObservability
}

export interface RouteObservability {
  accessLogs?: boolean
  metrics?: boolean
  tracing?: boolean
  traceVerbosity?: string
}

export interface IngressRouteTLS {
  secretName?: string
  options?: CRDReference
  store?: CRDReference
  certResolver?: string
  domains?: Array<{ main?: string; sans?: string[] }>
}

/** A service reference: a Kubernetes Service (with LB options) or a TraefikService. */
export interface LoadBalancerSpec {
  name?: string
  kind?: string
  namespace?: string
  sticky?: { cookie?: Cookie }
  port?: IntOrString
  scheme?: string
  strategy?: string
  passHostHeader?: boolean
  healthCheck?: HealthCheckSpec
  passiveHealthCheck?: PassiveHealthCheckSpec
  responseForwarding?: { flushInterval?: string }
  serversTransport?: string
  weight?: number
  nativeLB?: boolean
  nodePortLB?: boolean
  middlewares?: CRDReference[]
}

/** As the dynamic config, but durations are IntOrString (a bare integer is seconds). */
export type HealthCheckSpec = Omit<ServerHealthCheck, 'interval' | 'unhealthyInterval' | 'timeout'> & {
  interval?: IntOrString
  unhealthyInterval?: IntOrString
  timeout?: IntOrString
}

export interface PassiveHealthCheckSpec {
  failureWindow?: IntOrString
  maxFailedAttempts?: number
}

export type IngressRoute = KubeObject<IngressRouteSpec>

// ---------------------------------------------------------------------------------------------
// TraefikService

export interface TraefikServiceSpec {
  weighted?: WeightedSpec
  mirroring?: MirroringSpec
  highestRandomWeight?: HighestRandomWeightSpec
  failover?: FailoverSpec
}

export interface WeightedSpec {
  services?: LoadBalancerSpec[]
  sticky?: { cookie?: Cookie }
}

export interface MirroringSpec extends LoadBalancerSpec {
  mirrorBody?: boolean
  maxBodySize?: number
  mirrors?: MirrorSpec[]
}

export interface MirrorSpec extends LoadBalancerSpec {
  percent?: number
}

export interface HighestRandomWeightSpec {
  services?: LoadBalancerSpec[]
}

export interface FailoverSpec {
  service?: LoadBalancerSpec
  fallback?: LoadBalancerSpec
  errors?: { status?: string[]; maxRequestBodyBytes?: number }
}

export type TraefikService = KubeObject<TraefikServiceSpec>

// ---------------------------------------------------------------------------------------------
// Middleware (kinds whose config is copied as is use the dynamic types)

export interface AuthSpec {
  secret?: string
  realm?: string
  removeHeader?: boolean
  headerField?: string
}

export interface ClientTLSSpec {
  caSecret?: string
  certSecret?: string
  insecureSkipVerify?: boolean
  caOptional?: boolean
}

export interface SourceCriterionSpec {
  ipStrategy?: IPStrategy
  requestHeaderName?: string
  requestHost?: boolean
}

export interface MiddlewareSpec {
  addPrefix?: AddPrefix
  stripPrefix?: StripPrefix
  stripPrefixRegex?: StripPrefixRegex
  replacePath?: ReplacePath
  replacePathRegex?: ReplacePathRegex
  chain?: { middlewares?: CRDReference[] }
  ipWhiteList?: IPWhiteList
  ipAllowList?: IPAllowList
  headers?: Headers
  errors?: {
    status?: string[]
    statusRewrites?: Record<string, number>
    service?: LoadBalancerSpec
    query?: string
    errorRequestHeaders?: string[]
  }
  rateLimit?: {
    average?: number
    period?: IntOrString
    burst?: number
    sourceCriterion?: SourceCriterionSpec
    redis?: {
      endpoints?: string[]
      tls?: ClientTLSSpec
      secret?: string
      db?: number
      poolSize?: number
      minIdleConns?: number
      maxActiveConns?: number
      readTimeout?: IntOrString
      writeTimeout?: IntOrString
      dialTimeout?: IntOrString
    }
  }
  redirectRegex?: RedirectRegex
  redirectScheme?: RedirectScheme
  basicAuth?: AuthSpec
  digestAuth?: AuthSpec
  /** As the dynamic config, but `tls` names Secrets instead of holding PEM. */
  forwardAuth?: Omit<ForwardAuth, 'tls'> & { tls?: ClientTLSSpec }
  inFlightReq?: InFlightReq
  buffering?: Buffering
  circuitBreaker?: {
    expression?: string
    checkPeriod?: IntOrString
    fallbackDuration?: IntOrString
    recoveryDuration?: IntOrString
    responseCode?: number
  }
  compress?: Compress
  passTLSClientCert?: PassTLSClientCert
  retry?: {
    attempts?: number
    initialInterval?: IntOrString
    timeout?: IntOrString
    maxRequestBodyBytes?: number
    status?: string[]
    disableRetryOnNetworkError?: boolean
    retryNonIdempotentMethod?: boolean
  }
  contentType?: ContentType
  grpcWeb?: GrpcWeb
  encodedCharacters?: EncodedCharacters
  plugin?: Record<string, unknown>
}

export type Middleware = KubeObject<MiddlewareSpec>

// ---------------------------------------------------------------------------------------------
// TLSOption, TLSStore, ServersTransport

export interface TLSOptionSpec {
  minVersion?: string
  maxVersion?: string
  cipherSuites?: string[]
  curvePreferences?: string[]
  clientAuth?: { secretNames?: string[]; clientAuthType?: string }
  sniStrict?: boolean
  alpnProtocols?: string[]
  disableSessionTickets?: boolean
  preferServerCipherSuites?: boolean
}

export type TLSOption = KubeObject<TLSOptionSpec>

export interface TLSStoreSpec {
  defaultCertificate?: { secretName?: string }
  defaultGeneratedCert?: { resolver?: string; domain?: { main?: string; sans?: string[] } }
  certificates?: Array<{ secretName?: string }>
}

export type TLSStore = KubeObject<TLSStoreSpec>

export interface ServersTransportSpec {
  serverName?: string
  insecureSkipVerify?: boolean
  rootCAsSecrets?: string[]
  rootCAs?: Array<{ secret?: string; configMap?: string }>
  certificatesSecrets?: string[]
  maxIdleConnsPerHost?: number
  forwardingTimeouts?: {
    dialTimeout?: IntOrString
    responseHeaderTimeout?: IntOrString
    idleConnTimeout?: IntOrString
    readIdleTimeout?: IntOrString
    pingTimeout?: IntOrString
  }
  disableHTTP2?: boolean
  peerCertURI?: string
  peerCertSANs?: Array<{ type?: string; value?: string }>
  spiffe?: { ids?: string[]; trustDomain?: string }
  cipherSuites?: string[]
  minVersion?: string
  maxVersion?: string
}

export type ServersTransport = KubeObject<ServersTransportSpec>
