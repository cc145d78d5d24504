/**
 * Where the control plane hands a new signed pointer to the edge's version beacon (the worker's
 * TableBeacon Durable Object): `PUT` on this path with `Authorization: Bearer <TABLE_BEACON_TOKEN>`
 * (docs/table.md). The publisher sends it, the worker answers it.
 *
 * @module
 */
export const BEACON_PATH = '/.well-known/traefik-edge/table-pointer'

/**
 * The token both sides compare: the secret as configured, without surrounding whitespace. A file's
 * trailing newline reaches the worker's secret when it is set through the dashboard or the API
 * (wrangler 2+ trims only stdin's trailing whitespace) and the controller from a mounted Secret file;
 * a token never contains whitespace, so trimming on both sides makes them agree.
 */
export function beaconToken(configured: string): string {
  return configured.trim()
}
