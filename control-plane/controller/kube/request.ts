// JSON requests to the API server through client-node's own transport and authentication (the
// same RequestContext + fetch path its Watch uses), so credentials, CAs and client certificates
// come from the KubeConfig exactly as for the informers. Objects stay plain JSON: the typed API
// classes would turn timestamps into Dates and drop fields of custom resources.
import type { KubeConfig } from '@kubernetes/client-node'
import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext } from './client-node/load.ts'

export class KubeApiError extends Error {
  /** HTTP status; ListWatch restarts from a fresh list on 410. */
  readonly statusCode: number
  readonly reason: string
  constructor(statusCode: number, reason: string, message: string) {
    super(message)
    this.name = 'KubeApiError'
    this.statusCode = statusCode
    this.reason = reason
  }
}

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Path under the server URL, e.g. /api/v1/namespaces/default/services. */
  path: string
  query?: Record<string, string | number | undefined>
  body?: unknown
  /** Default application/json; merge patches need application/merge-patch+json. */
  contentType?: string
  signal?: AbortSignal
}

const http = new IsomorphicFetchHttpLibrary()

export async function kubeRequest<T = Record<string, unknown>>(kc: KubeConfig, request: KubeRequest): Promise<T> {
  const cluster = kc.getCurrentCluster()
  if (cluster === null) throw new Error('kubeconfig: no current cluster')
  const url = new URL(cluster.server.replace(/\/$/, '') + request.path)
  for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v))
  const ctx = new RequestContext(url.toString(), HttpMethod[request.method ?? 'GET'])
  ctx.setHeaderParam('Accept', 'application/json')
  if (request.body !== undefined) {
    ctx.setHeaderParam('Content-Type', request.contentType ?? 'application/json')
    ctx.setBody(JSON.stringify(request.body))
  }
  if (request.signal) ctx.setSignal(request.signal)
  await kc.applySecurityAuthentication(ctx)
  const response = await http.send(ctx).toPromise()
  const text = await response.body.text()
  let json: unknown
  try {
    json = text === '' ? {} : JSON.parse(text)
  } catch {
    json = { message: text }
  }
  if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
    const s = json as { message?: string; reason?: string }
    throw new KubeApiError(
      response.httpStatusCode,
      s.reason ?? '',
      `${request.method ?? 'GET'} ${request.path}: HTTP ${response.httpStatusCode}: ${s.message ?? text}`,
    )
  }
  return json as T
}
