/**
 * The worker's one non-routing path: `PUT /.well-known/traefik-edge/table-pointer` with
 * `Authorization: Bearer <TABLE_BEACON_TOKEN>` hands a new signed pointer to the TableBeacon
 * Durable Object (./beacon-object.ts). It answers only when the beacon is bound, a token is
 * configured and the request carries exactly that token; any other request, on that path too,
 * is routed as usual, so a user's own routes are never shadowed and the endpoint is not
 * discoverable without the token.
 *
 * @module
 */
import { BEACON_OBJECT_NAME } from './beacon-object.ts'
import { BEACON_PATH, beaconToken } from '../../../shared/kv/beacon.ts'
import { sha256Hex } from '../../../shared/kv/layout.ts'

export { BEACON_PATH }

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> }
}

export interface BeaconEnv {
  TABLE_BEACON?: DurableObjectNamespaceLike
  TABLE_BEACON_TOKEN?: string
}

type Fetch<Env, Ctx> = (request: Request, env: Env, ctx: Ctx) => Promise<Response>

/**
 * `handler` with the beacon's PUT endpoint in front of it. Not async, and the bindings are looked
 * at before the request: every other request passes with no promise layer and no runtime call.
 */
export function withBeaconEndpoint<Env extends BeaconEnv, Ctx>(handler: Fetch<Env, Ctx>): Fetch<Env, Ctx> {
  return (request, env, ctx) => {
    if (env.TABLE_BEACON && env.TABLE_BEACON_TOKEN && request.method === 'PUT' && pathOf(request.url) === BEACON_PATH) {
      return putPointer(request, env.TABLE_BEACON, env.TABLE_BEACON_TOKEN, () => handler(request, env, ctx))
    }
    return handler(request, env, ctx)
  }
}

async function putPointer(request: Request, beacon: DurableObjectNamespaceLike, configured: string, otherwise: () => Promise<Response>): Promise<Response> {
  const auth = request.headers.get('authorization') ?? ''
  // Trimmed as the controller trims its copy: a secret pasted or set through the API keeps a newline.
  const token = beaconToken(configured)
  if (token === '' || !(await sameSecret(auth, `Bearer ${token}`))) return otherwise()
  return beaconStub(beacon).fetch('https://beacon/pointer', { method: 'PUT', body: await request.text() })
}

export function beaconStub(namespace: DurableObjectNamespaceLike) {
  return namespace.get(namespace.idFromName(BEACON_OBJECT_NAME))
}

function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start === -1) return '/'
  const end = url.slice(start).search(/[?#]/)
  return end === -1 ? url.slice(start) : url.slice(start, start + end)
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(expected)])
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
