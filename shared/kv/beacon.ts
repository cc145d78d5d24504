/**
 * Where the control plane hands a new signed pointer to the edge's version beacon (the worker's
 * TableBeacon Durable Object): `PUT` on this path with `Authorization: Bearer <TABLE_BEACON_TOKEN>`
 * (docs/table.md). The publisher sends it, the worker answers it.
 *
 * @module
 */
export const BEACON_PATH = '/.well-known/traefik-edge/table-pointer'
