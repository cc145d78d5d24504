// One call to Cloudflare's v4 API (api.cloudflare.com/client/v4) with its envelope
// ({success, errors, result, result_info}) unwrapped: 429 and 5xx answers and network errors are
// retried with exponential backoff and full jitter (Retry-After honoured); any other error fails
// at once with Cloudflare's own messages.

export interface CloudflareApiOptions {
  apiToken: string
  /** Default https://api.cloudflare.com/client/v4 */
  baseUrl?: string
  /** Attempts per request, the first included. Default 6. */
  maxAttempts?: number
  /** First backoff step; doubles per attempt up to maxDelayMs. Defaults 250 / 10000 ms. */
  baseDelayMs?: number
  maxDelayMs?: number
  fetch?: typeof fetch
}

export interface Envelope<T> {
  success?: boolean
  errors?: Array<{ code?: number; message?: string }>
  result?: T
  result_info?: { cursor?: string; page?: number; total_pages?: number }
}

export class CloudflareApiError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'CloudflareApiError'
    this.status = status
  }
}

export type CloudflareCall = <T>(method: string, path: string, body?: unknown) => Promise<Envelope<T>>

/** `label` names the API in error messages (`Cloudflare custom certificates POST /...: 400 ...`). */
export function cloudflareApi(options: CloudflareApiOptions, label: string): CloudflareCall {
  const base = (options.baseUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/$/, '')
  const doFetch = options.fetch ?? fetch
  const maxAttempts = options.maxAttempts ?? 6
  const baseDelay = options.baseDelayMs ?? 250
  const maxDelay = options.maxDelayMs ?? 10_000

  const backoff = (attempt: number, retryAfter: string | null): number => {
    const told = retryAfter === null ? NaN : Number(retryAfter) * 1000
    if (Number.isFinite(told) && told >= 0) return Math.min(told, maxDelay)
    return Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1))
  }

  return async function call<T>(method: string, path: string, body?: unknown): Promise<Envelope<T>> {
    const what = `${method} ${path.split('?')[0]}`
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null
      let failure: string
      try {
        res = await doFetch(base + path, {
          method,
          headers: { authorization: `Bearer ${options.apiToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        const text = await res.text()
        const envelope = (text ? JSON.parse(text) : {}) as Envelope<T>
        if (res.ok && envelope.success !== false) return envelope
        failure = `${res.status} ${describeErrors(envelope) || res.statusText}`
        if (res.status !== 429 && res.status < 500) throw new CloudflareApiError(res.status, `${label} ${what}: ${failure}`)
      } catch (err) {
        if (err instanceof CloudflareApiError) throw err
        failure = res ? `${res.status}: unreadable answer` : (err as Error).message
      }
      if (attempt >= maxAttempts) throw new CloudflareApiError(res?.status ?? 0, `${label} ${what}: gave up after ${attempt} attempts: ${failure}`)
      await new Promise((r) => setTimeout(r, backoff(attempt, res?.headers.get('retry-after') ?? null)))
    }
  }
}

function describeErrors(envelope: Envelope<unknown>): string {
  return (envelope.errors ?? []).map((e) => (e.code === undefined ? e.message : `${e.code}: ${e.message}`)).join('; ')
}
