/**
 * Traefik's dynamic configuration (HTTP and TLS parts), in Traefik's own JSON field names.
 *
 * This is the shape `npm run compile` prints and the edge table is derived from. Field names and
 * nesting follow Traefik's `pkg/config/dynamic` and `pkg/tls` JSON tags so the output can be
 * compared with what Traefik itself produces from the same objects.
 *
 * Durations are strings in Traefik's JSON form, nanoseconds with an `ns` suffix
 * (`"100000000ns"`), see `./duration.ts` for parsing and formatting. Go's `omitempty` is
 * mirrored by optional fields: an absent field means Go's zero value, except where noted.
 *
 * @module
 */

/** A duration as Traefik's JSON writes it: `"<nanoseconds>ns"`. See `./duration.ts`. */
export type Duration = string

export interface DynamicConfig {
  http?: HTTPConfiguration
  tls?: TLSConfiguration
}

export interface HTTPConfiguration {
  routers?: Record<string, Router>
  middlewares?: Record<string, Middleware>
  services?: Record<string, Service>
  serversTransports?: Record<string, ServersTransport>
}

// ---------------------------------------------------------------------------------------------
// Routers

export interface Router {
  entryPoints?: string[]
  middlewares?: string[]
  /** Empty for parent routers of multi-layer routing (parentRefs). */
  service?: string
  rule: string
  /** Deprecated `v2`/`v3` rule syntax selector. */
  ruleSyntax?: string
  priority?: number
  /** Present (even as `{}`) means TLS is enabled on this router. */
  tls?: RouterTLSConfig
  observability?: RouterObservabilityConfig
  /** Router keys of the parent routers (multi-layer routing). */
  parentRefs?: string[]
}

export interface RouterTLSConfig {
  options?: string
  certResolver?: string
  domains?: Domain[]
}

export interface Domain {
  main?: string
  sans?: string[]
}

export interface RouterObservabilityConfig {
  accessLogs?: boolean
  metrics?: boolean
  tracing?: boolean
  traceVerbosity?: string
}

// ---------------------------------------------------------------------------------------------
// Services

/** Exactly one of the kinds is set. */
export interface Service {
  loadBalancer?: ServersLoadBalancer
  weighted?: WeightedRoundRobin
  mirroring?: Mirroring
  failover?: Failover
  highestRandomWeight?: HighestRandomWeight
  /** Middlewares applied in front of this service (service-level middlewares). */
  middlewares?: string[]
}

export type LoadBalancerStrategy = 'wrr' | 'p2c' | 'hrw' | 'leasttime'

export interface ServersLoadBalancer {
  sticky?: Sticky
  /** Absent when the service has no servers (allowEmptyServices). */
  servers?: Server[]
  /** Default `wrr`. */
  strategy?: LoadBalancerStrategy | string
  healthCheck?: ServerHealthCheck
  passiveHealthCheck?: PassiveServerHealthCheck
  /** No omitempty in Traefik: always written. Default true. */
  passHostHeader: boolean
  responseForwarding?: ResponseForwarding
  serversTransport?: string
}

export interface Server {
  url?: string
  weight?: number
  preservePath?: boolean
  /** Terminating endpoint: only receives sticky traffic. */
  fenced?: boolean
}

export interface ResponseForwarding {
  /** Default 100ms. */
  flushInterval?: Duration
}

export interface ServerHealthCheck {
  scheme?: string
  /** `http` or `grpc`; empty means http. */
  mode?: string
  path?: string
  method?: string
  status?: number
  port?: number
  interval?: Duration
  unhealthyInterval?: Duration
  timeout?: Duration
  hostname?: string
  followRedirects?: boolean
  headers?: Record<string, string>
}

export interface PassiveServerHealthCheck {
  failureWindow?: Duration
  maxFailedAttempts?: number
}

export interface Sticky {
  cookie?: Cookie
}

export interface Cookie {
  name?: string
  secure?: boolean
  httpOnly?: boolean
  /** `none`, `lax`, `strict` (any case). */
  sameSite?: string
  maxAge?: number
  /** Default `/`. */
  path?: string
  domain?: string
}

export interface WeightedRoundRobin {
  services?: WRRService[]
  sticky?: Sticky
  healthCheck?: HealthCheck
}

export interface WRRService {
  name: string
  /** Default 1; an explicit 0 is kept. */
  weight?: number
}

/** Empty marker: propagate children's health status. */
export type HealthCheck = Record<string, never>

export interface Mirroring {
  service: string
  mirrorBody?: boolean
  maxBodySize?: number
  mirrors?: MirrorService[]
  healthCheck?: HealthCheck
}

export interface MirrorService {
  name: string
  percent?: number
}

export interface Failover {
  service: string
  fallback: string
  healthCheck?: HealthCheck
  errors?: FailoverError
}

export interface FailoverError {
  status?: string[]
  maxRequestBodyBytes?: number
}

export interface HighestRandomWeight {
  services?: WRRService[]
  healthCheck?: HealthCheck
}

// ---------------------------------------------------------------------------------------------
// Servers transports

export interface ServersTransport {
  serverName?: string
  insecureSkipVerify?: boolean
  /** PEM contents. */
  rootCAs?: string[]
  certificates?: CertificateFiles[]
  maxIdleConnsPerHost?: number
  forwardingTimeouts?: ForwardingTimeouts
  disableHTTP2?: boolean
  peerCertURI?: string
  peerCertSANs?: PeerCertSAN[]
  spiffe?: Spiffe
  cipherSuites?: string[]
  minVersion?: string
  maxVersion?: string
}

export interface PeerCertSAN {
  /** `DNSName` or `URI`. */
  type?: string
  value?: string
}

export interface ForwardingTimeouts {
  dialTimeout?: Duration
  responseHeaderTimeout?: Duration
  idleConnTimeout?: Duration
  readIdleTimeout?: Duration
  pingTimeout?: Duration
}

export interface Spiffe {
  ids?: string[]
  trustDomain?: string
}

// ---------------------------------------------------------------------------------------------
// TLS

export interface TLSConfiguration {
  certificates?: CertAndStores[]
  options?: Record<string, TLSOptions>
  stores?: Record<string, TLSStore>
}

/** `certFile`/`keyFile` hold PEM contents (Traefik accepts a path or the content). */
export interface CertificateFiles {
  certFile?: string
  keyFile?: string
}

export interface CertAndStores extends CertificateFiles {
  stores?: string[]
}

export interface TLSOptions {
  minVersion?: string
  maxVersion?: string
  cipherSuites?: string[]
  curvePreferences?: string[]
  clientAuth?: ClientAuth
  sniStrict?: boolean
  alpnProtocols?: string[]
  disableSessionTickets?: boolean
  /** Deprecated; never set by the CRD provider. */
  preferServerCipherSuites?: boolean
}

export interface ClientAuth {
  /** PEM contents. */
  caFiles?: string[]
  /** NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert */
  clientAuthType?: string
}

export interface TLSStore {
  defaultCertificate?: CertificateFiles
  defaultGeneratedCert?: GeneratedCert
}

export interface GeneratedCert {
  resolver?: string
  domain?: Domain
}

// ---------------------------------------------------------------------------------------------
// Middlewares: exactly one field is set in practice (several are all emitted when given).

export interface Middleware {
  addPrefix?: AddPrefix
  stripPrefix?: StripPrefix
  stripPrefixRegex?: StripPrefixRegex
  replacePath?: ReplacePath
  replacePathRegex?: ReplacePathRegex
  chain?: Chain
  /** Deprecated alias of ipAllowList. */
  ipWhiteList?: IPWhiteList
  ipAllowList?: IPAllowList
  headers?: Headers
  errors?: ErrorPage
  rateLimit?: RateLimit
  redirectRegex?: RedirectRegex
  redirectScheme?: RedirectScheme
  basicAuth?: BasicAuth
  digestAuth?: DigestAuth
  forwardAuth?: ForwardAuth
  inFlightReq?: InFlightReq
  buffering?: Buffering
  circuitBreaker?: CircuitBreaker
  compress?: Compress
  passTLSClientCert?: PassTLSClientCert
  retry?: Retry
  contentType?: ContentType
  grpcWeb?: GrpcWeb
  encodedCharacters?: EncodedCharacters
  /** Plugin name to its free-form configuration. */
  plugin?: Record<string, PluginConf>
}

export type PluginConf = Record<string, unknown>

export interface AddPrefix {
  prefix?: string
}

export interface StripPrefix {
  prefixes?: string[]
  /** Deprecated. */
  forceSlash?: boolean
}

export interface StripPrefixRegex {
  regex?: string[]
}

export interface ReplacePath {
  path?: string
}

export interface ReplacePathRegex {
  regex?: string
  replacement?: string
}

export interface Chain {
  middlewares?: string[]
}

export interface IPStrategy {
  depth?: number
  excludedIPs?: string[]
  ipv6Subnet?: number
}

export interface IPWhiteList {
  sourceRange?: string[]
  ipStrategy?: IPStrategy
}

export interface IPAllowList {
  sourceRange?: string[]
  ipStrategy?: IPStrategy
  /** Default 403 at runtime when 0. */
  rejectStatusCode?: number
}

export interface Headers {
  customRequestHeaders?: Record<string, string>
  customResponseHeaders?: Record<string, string>

  accessControlAllowCredentials?: boolean
  accessControlAllowHeaders?: string[]
  accessControlAllowMethods?: string[]
  accessControlAllowOriginList?: string[]
  accessControlAllowOriginListRegex?: string[]
  accessControlExposeHeaders?: string[]
  accessControlMaxAge?: number
  addVaryHeader?: boolean

  allowedHosts?: string[]
  hostsProxyHeaders?: string[]
  sslProxyHeaders?: Record<string, string>
  stsSeconds?: number
  stsIncludeSubdomains?: boolean
  stsPreload?: boolean
  forceSTSHeader?: boolean
  frameDeny?: boolean
  customFrameOptionsValue?: string
  contentTypeNosniff?: boolean
  browserXssFilter?: boolean
  customBrowserXSSValue?: string
  contentSecurityPolicy?: string
  contentSecurityPolicyReportOnly?: string
  publicKey?: string
  referrerPolicy?: string
  permissionsPolicy?: string
  isDevelopment?: boolean

  /** Deprecated. */
  featurePolicy?: string
  /** Deprecated. */
  sslRedirect?: boolean
  /** Deprecated. */
  sslTemporaryRedirect?: boolean
  /** Deprecated. */
  sslHost?: string
  /** Deprecated. */
  sslForceHost?: boolean
}

export interface ErrorPage {
  /** Status ranges such as `500-599`, `404`. */
  status?: string[]
  /** Status code to rewrite, as a string key, to the status sent to the client. */
  statusRewrites?: Record<string, number>
  service?: string
  query?: string
  errorRequestHeaders?: string[]
}

export interface SourceCriterion {
  ipStrategy?: IPStrategy
  requestHeaderName?: string
  requestHost?: boolean
}

export interface RateLimit {
  average?: number
  /** Default 1s. */
  period?: Duration
  /** Default 1. */
  burst?: number
  sourceCriterion?: SourceCriterion
  redis?: Redis
}

export interface Redis {
  endpoints?: string[]
  tls?: ClientTLS
  username?: string
  password?: string
  db?: number
  poolSize?: number
  minIdleConns?: number
  maxActiveConns?: number
  readTimeout?: Duration
  writeTimeout?: Duration
  dialTimeout?: Duration
}

/** PEM contents, not file paths, when produced by the CRD provider. */
export interface ClientTLS {
  ca?: string
  cert?: string
  key?: string
  insecureSkipVerify?: boolean
  caOptional?: boolean
}

export interface RedirectRegex {
  regex?: string
  replacement?: string
  permanent?: boolean
}

export interface RedirectScheme {
  scheme?: string
  port?: string
  permanent?: boolean
}

export interface BasicAuth {
  /** htpasswd lines `user:hash`. */
  users?: string[]
  usersFile?: string
  realm?: string
  removeHeader?: boolean
  headerField?: string
}

export interface DigestAuth {
  /** htdigest lines `user:realm:hash`. */
  users?: string[]
  usersFile?: string
  realm?: string
  removeHeader?: boolean
  headerField?: string
}

export interface ForwardAuth {
  address?: string
  tls?: ClientTLS
  trustForwardHeader?: boolean
  authResponseHeaders?: string[]
  authResponseHeadersRegex?: string
  authRequestHeaders?: string[]
  addAuthCookiesToResponse?: string[]
  headerField?: string
  forwardBody?: boolean
  /** Default -1 (no limit). */
  maxBodySize?: number
  maxResponseBodySize?: number
  preserveLocationHeader?: boolean
  preserveRequestMethod?: boolean
  authSigninURL?: string
}

export interface InFlightReq {
  amount?: number
  sourceCriterion?: SourceCriterion
}

export interface Buffering {
  maxRequestBodyBytes?: number
  memRequestBodyBytes?: number
  maxResponseBodyBytes?: number
  memResponseBodyBytes?: number
  retryExpression?: string
}

export interface CircuitBreaker {
  expression?: string
  checkPeriod?: Duration
  fallbackDuration?: Duration
  recoveryDuration?: Duration
  responseCode?: number
}

export interface Compress {
  excludedContentTypes?: string[]
  includedContentTypes?: string[]
  minResponseBodyBytes?: number
  encodings?: string[]
  defaultEncoding?: string
}

export interface PassTLSClientCert {
  pem?: boolean
  info?: TLSClientCertificateInfo
}

export interface TLSClientCertificateInfo {
  notAfter?: boolean
  notBefore?: boolean
  sans?: boolean
  serialNumber?: boolean
  subject?: TLSClientCertificateSubjectDNInfo
  issuer?: TLSClientCertificateIssuerDNInfo
}

export interface TLSClientCertificateSubjectDNInfo {
  country?: boolean
  province?: boolean
  locality?: boolean
  organization?: boolean
  organizationalUnit?: boolean
  commonName?: boolean
  serialNumber?: boolean
  domainComponent?: boolean
}

export interface TLSClientCertificateIssuerDNInfo {
  country?: boolean
  province?: boolean
  locality?: boolean
  organization?: boolean
  commonName?: boolean
  serialNumber?: boolean
  domainComponent?: boolean
}

export interface Retry {
  attempts?: number
  initialInterval?: Duration
  timeout?: Duration
  /** Default 2097152 from the CRD provider. */
  maxRequestBodyBytes?: number
  status?: string[]
  disableRetryOnNetworkError?: boolean
  retryNonIdempotentMethod?: boolean
}

export interface ContentType {
  autoDetect?: boolean
}

export interface GrpcWeb {
  allowOrigins?: string[]
}

export interface EncodedCharacters {
  allowEncodedSlash?: boolean
  allowEncodedBackSlash?: boolean
  allowEncodedNullCharacter?: boolean
  allowEncodedSemicolon?: boolean
  allowEncodedPercent?: boolean
  allowEncodedQuestionMark?: boolean
  allowEncodedHash?: boolean
}
