/**
 * Traefik's access log entry (pkg/middlewares/accesslog, JSON format) for one request: its field
 * names, durations in nanoseconds, `-` where Traefik writes it for a missing value.
 *
 * @module
 */

export interface AccessLogFacts {
  clientIp: string
  method: string
  host: string
  /** Escaped path and query, as the client sent them (Traefik's RequestPath is the RequestURI). */
  requestUri: string
  protocol: string
  tls: boolean
  requestContentSize: number
  entryPoint: string
  router?: string
  service?: string
  serviceUrl?: string
  serviceAddr?: string
  originStatus?: number
  originDurationNs?: number
  originContentSize?: number
  status: number
  size: number
  startMs: number
  durationNs: number
  requestCount: number
  tlsVersion?: string
  tlsCipher?: string
}

export function accessLogEntry(f: AccessLogFacts): Record<string, string | number> {
  const { hostname, port } = splitHostPort(f.host)
  const start = new Date(f.startMs).toISOString()
  const entry: Record<string, string | number> = {
    ClientAddr: f.clientIp,
    ClientHost: f.clientIp,
    ClientUsername: '-',
    DownstreamContentSize: f.size,
    DownstreamStatus: f.status,
    Duration: f.durationNs,
    OriginContentSize: f.originContentSize ?? 0,
    OriginDuration: f.originDurationNs ?? 0,
    OriginStatus: f.originStatus ?? 0,
    Overhead: f.durationNs - (f.originDurationNs ?? 0),
    RequestAddr: f.host,
    RequestContentSize: f.requestContentSize,
    RequestCount: f.requestCount,
    RequestHost: hostname,
    RequestMethod: f.method,
    RequestPath: f.requestUri,
    RequestPort: port || '-',
    RequestProtocol: f.protocol,
    RequestScheme: f.tls ? 'https' : 'http',
    RetryAttempts: 0,
    StartLocal: start,
    StartUTC: start,
    entryPointName: f.entryPoint,
    level: 'info',
    msg: '',
    time: new Date(f.startMs + f.durationNs / 1e6).toISOString(),
  }
  if (f.router !== undefined) entry.RouterName = f.router
  if (f.service !== undefined) entry.ServiceName = f.service
  if (f.serviceUrl !== undefined) entry.ServiceURL = f.serviceUrl
  if (f.serviceAddr !== undefined) entry.ServiceAddr = f.serviceAddr
  if (f.tlsVersion) entry.TLSVersion = f.tlsVersion
  if (f.tlsCipher) entry.TLSCipher = f.tlsCipher
  return entry
}

function splitHostPort(host: string): { hostname: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(host)
  return m ? { hostname: m[1]!, port: m[2] ?? '' } : { hostname: host, port: '' }
}
