/**
 * A configuration the edge recognises but does not implement: the route answers 501 (and the
 * control plane reports it through shared/table/capabilities.ts). Any other error a
 * middleware's configuration raises is a malformed configuration: the route answers 500.
 *
 * @module
 */
export class UnsupportedConfig extends Error {
  override readonly name = 'UnsupportedConfig'
}
