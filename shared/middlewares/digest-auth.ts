/**
 * digestAuth's configuration as the edge runs it: the realm (default `traefik`) and the users
 * (`name:realm:HA1`), parsed here unless the table sealed them.
 *
 * @module
 */
import type { DigestAuth } from '../dynamic/types.ts'
import { isSealed } from '../secrets/format.ts'
import { UnsupportedConfig } from './unsupported.ts'
import { authUsersFileUnsupported, parseUsers } from './users.ts'

export interface DigestAuthSettings {
  realm: string
  /** `name:realm` -> HA1; null when the users are sealed in the table. */
  users: Map<string, string> | null
}

export function digestAuthConfig(config: DigestAuth): DigestAuthSettings {
  const unsupported = authUsersFileUnsupported('digestAuth', config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  return { realm: config.realm || 'traefik', users: isSealed(config) ? null : parseUsers(config.users, 3, 'digestAuth.users') }
}
