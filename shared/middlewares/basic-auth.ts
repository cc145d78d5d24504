/**
 * basicAuth's configuration as the edge runs it: the realm (default `traefik`) and the users,
 * parsed here unless the table sealed them (the edge parses those once it has opened them).
 *
 * @module
 */
import type { BasicAuth } from '../dynamic/types.ts'
import { isSealed } from '../secrets/format.ts'
import { UnsupportedConfig } from './unsupported.ts'
import { authUsersFileUnsupported, parseUsers } from './users.ts'

export interface BasicAuthSettings {
  realm: string
  /** name -> hash; null when the users are sealed in the table. */
  users: Map<string, string> | null
}

export function basicAuthConfig(config: BasicAuth): BasicAuthSettings {
  const unsupported = authUsersFileUnsupported('basicAuth', config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  return { realm: config.realm || 'traefik', users: isSealed(config) ? null : parseUsers(config.users, 2, 'basicAuth.users') }
}
