// The control plane's side of the version beacon: after a new pointer is in KV, PUT it to the
// edge's guarded endpoint (edge-worker/src/table-source/beacon-endpoint.ts), which stores it in
// the TableBeacon Durable Object every isolate asks. Retries network errors and 5xx a few times;
// a 4xx (wrong token: the route answers as any request would; refused signature) fails at once.
import { readFileSync } from 'node:fs'
import { BEACON_PATH, beaconToken } from '../../shared/kv/beacon.ts'

export { BEACON_PATH }

export interface BeaconOptions {
  /** The edge's base URL (any of its hostnames), e.g. https://edge.example.com */
  url: string
  token: string
  /** Attempts, the first included. Default 4. */
  attempts?: number
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
}

export type BeaconNotifier = (pointer: string) => Promise<void>

export function httpBeacon(options: BeaconOptions): BeaconNotifier {
  const endpoint = new URL(BEACON_PATH, options.url).toString()
  const doFetch = options.fetch ?? fetch
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const attempts = options.attempts ?? 4
  return async (pointer) => {
    for (let attempt = 1; ; attempt++) {
      let failure: string
      try {
        const res = await doFetch(endpoint, {
          method: 'PUT',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/jose' },
          body: pointer,
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        })
        const text = await res.text()
        if (res.ok) return
        failure = `${res.status} ${text.trim().slice(0, 200)}`
        if (res.status < 500) throw new BeaconRefused(`version beacon ${endpoint}: ${failure}`)
      } catch (err) {
        if (err instanceof BeaconRefused) throw err
        failure = (err as Error).message
      }
      if (attempt >= attempts) throw new Error(`version beacon ${endpoint}: gave up after ${attempt} attempts: ${failure}`)
      await sleep(Math.random() * 250 * 2 ** (attempt - 1))
    }
  }
}

class BeaconRefused extends Error {}

/** TABLE_BEACON_TOKEN, or the content of the file TABLE_BEACON_TOKEN_FILE (a mounted Secret). */
export function beaconTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const direct = beaconToken(env.TABLE_BEACON_TOKEN ?? '')
  if (direct) return direct
  const file = env.TABLE_BEACON_TOKEN_FILE
  if (!file) throw new Error('version beacon: TABLE_BEACON_TOKEN (or TABLE_BEACON_TOKEN_FILE) not set')
  const token = beaconToken(readFileSync(file, 'utf8'))
  if (!token) throw new Error(`version beacon: TABLE_BEACON_TOKEN_FILE ${file} is empty`)
  return token
}
