// One call to Cloudflare's v4 API (api.cloudflare.com/client/v4) with its envelope
// ({success, errors, result, result_info}) unwrapped: 429 and 5xx answers and network errors are
// retried with exponential backoff and full jitter (Retry-After honoured); any other error fails
// at once with Cloudflare's own messages.
import { readFileSync } from 'node:fs'

export interface CloudflareApiOptions {
  apiToken: string
  /** Default https://api.cloudflare.com/client/v4 */
  baseUrl?: string
  /** Attempts per request, the first included. Default 6. */
  maxAttempts?: number
  /** First backoff step; doubles per attempt up to maxDelayMs. Defaults 250 / 10000 ms. */
  baseDelayMs?: number
  maxDelayMs?: number
  /** Abandon (and retry) an attempt that has not answered within this time. Default 30000 ms. */
  attemptTimeoutMs?: number
  fetch?: typeof fetch
  /** Waits between attempts (tests record the delays). */
  sleep?: (ms: number) => Promise<void>
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
  const attemptTimeout = options.attemptTimeoutMs ?? 30_000
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))

  const backoff = (attempt: number, retryAfter: string | null): number => {
    const told = retryAfterMs(retryAfter)
    if (told !== null) return Math.min(told, maxDelay)
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
          signal: AbortSignal.timeout(attemptTimeout),
        })
        const text = await res.text()
        let envelope: Envelope<T> | null = null
        try {
          envelope = (text ? JSON.parse(text) : {}) as Envelope<T>
        } catch {
          // A proxy's HTML error page or a cut answer: judged by its status alone.
        }
        if (res.ok && envelope && envelope.success !== false) return envelope
        failure = `${res.status} ${(envelope && describeErrors(envelope)) || res.statusText || 'unreadable answer'}`
        // A 2xx we could not read was probably cut short: retried like a 5xx.
        const retryable = res.status === 429 || res.status >= 500 || (res.ok && envelope === null)
        if (!retryable) throw new CloudflareApiError(res.status, `${label} ${what}: ${failure}`)
      } catch (err) {
        if (err instanceof CloudflareApiError) throw err
        failure = (err as Error).message
      }
      if (attempt >= maxAttempts) throw new CloudflareApiError(res?.status ?? 0, `${label} ${what}: gave up after ${attempt} attempts: ${failure}`)
      await sleep(backoff(attempt, res?.headers.get('retry-after') ?? null))
    }
  }
}

/** Retry-After in delay-seconds or HTTP-date form (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null
  const date = Date.parse(value)
  return Number.isNaN(date) ? null : Math.max(0, date - now)
}

function describeErrors(envelope: Envelope<unknown>): string {
  return (envelope.errors ?? []).map((e) => (e.code === undefined ? e.message : `${e.code}: ${e.message}`)).join('; ')
}

/**
 * Settings by name, each from the environment or from the file named by the same variable with
 * `_FILE` appended (a mounted Kubernetes Secret). Throws, naming what is missing.
 */
export function cloudflareSettingsFromEnv(
  names: readonly string[],
  label: string,
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Map<string, string> {
  const values = new Map<string, string>()
  const missing: string[] = []
  for (const name of names) {
    const file = env[`${name}_FILE`]
    if (env[name] && file) throw new Error(`${label}: set ${name} or ${name}_FILE, not both`)
    let value = env[name]
    if (!value && file) {
      try {
        value = readFile(file).trim()
      } catch (err) {
        throw new Error(`${label}: ${name}_FILE ${file}: ${(err as Error).message}`)
      }
      if (!value) throw new Error(`${label}: ${name}_FILE ${file} is empty`)
    }
    if (value) values.set(name, value)
    else missing.push(name)
  }
  if (missing.length) throw new Error(`${label}: ${missing.join(', ')} not set (nor ${missing.map((m) => `${m}_FILE`).join(', ')})`)
  return values
}

/** The API token (CLOUDFLARE_API_TOKEN or its _FILE) and CLOUDFLARE_API_BASE_URL. */
export function cloudflareApiOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CloudflareApiOptions {
  const token = cloudflareSettingsFromEnv(['CLOUDFLARE_API_TOKEN'], 'Cloudflare API', env).get('CLOUDFLARE_API_TOKEN')!
  return { apiToken: token, ...(env.CLOUDFLARE_API_BASE_URL ? { baseUrl: env.CLOUDFLARE_API_BASE_URL } : {}) }
}
