/**
 * TableBeacon, the Durable Object that tells every isolate the current table pointer within
 * seconds. Workers KV shows an overwritten key (the pointer) at other locations only after 60 s
 * or more; one Durable Object is strongly consistent and reachable from every location. The
 * control plane PUTs each new signed pointer here (through the worker's guarded endpoint,
 * ./beacon-endpoint.ts) right after writing it to KV; isolates GET it every few seconds
 * (./beacon-client.ts) and then read the blobs it names from KV: blobs are new, content-addressed
 * keys, which no location has cached (not even as a miss), so they read through at once.
 *
 * It keeps only a pointer that verifies against TABLE_JWKS and is newer than the one it holds,
 * so neither a wrong token holder nor a delayed, replayed PUT can move it backwards. The pointer
 * is also persisted (storage), so an evicted object answers at once when it wakes.
 *
 * Spoken over fetch, like ../durable/limiter-object.ts, so no `cloudflare:workers` import.
 *
 * @module
 */
import { parseJwks, pointerVerifier, type PointerVerifier } from './verify.ts'

export const BEACON_BINDING = 'TABLE_BEACON'
/** The one object every isolate asks. */
export const BEACON_OBJECT_NAME = 'table-pointer'
const STORAGE_KEY = 'pointer'

interface BeaconState {
  storage: { get<T>(key: string): Promise<T | undefined>; put<T>(key: string, value: T): Promise<void> }
}

interface Held {
  pointer: string
  issuedAt: number
}

export class TableBeacon {
  readonly #state: BeaconState
  readonly #verify: PointerVerifier | { error: string }
  #held: Held | null | undefined

  constructor(state: BeaconState, env: { TABLE_JWKS?: string }) {
    this.#state = state
    try {
      this.#verify = pointerVerifier(parseJwks(env.TABLE_JWKS))
    } catch (err) {
      this.#verify = { error: (err as Error).message }
    }
  }

  async fetch(request: Request): Promise<Response> {
    const held = (this.#held ??= (await this.#state.storage.get<Held>(STORAGE_KEY)) ?? null)
    if (request.method === 'GET') {
      return held ? new Response(held.pointer, { headers: { 'content-type': 'application/jose' } }) : new Response(null, { status: 204 })
    }
    if (request.method !== 'PUT') return new Response('GET or PUT\n', { status: 405, headers: { allow: 'GET, PUT' } })
    if (typeof this.#verify !== 'function') return Response.json({ error: `beacon misconfigured: ${this.#verify.error}` }, { status: 500 })
    const pointer = (await request.text()).trim()
    const manifest = await this.#verify(pointer)
    if ('error' in manifest) return Response.json({ error: manifest.error }, { status: 400 })
    if (held && manifest.issuedAt <= held.issuedAt) {
      // The same pointer again is a retry that succeeded before: fine. An older one is refused.
      const same = held.pointer === pointer
      return Response.json({ stored: false, issuedAt: held.issuedAt, ...(same ? {} : { error: 'older than the pointer held' }) }, { status: same ? 200 : 409 })
    }
    const next = { pointer, issuedAt: manifest.issuedAt }
    await this.#state.storage.put(STORAGE_KEY, next)
    this.#held = next
    return Response.json({ stored: true, issuedAt: next.issuedAt })
  }
}
