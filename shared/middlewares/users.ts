/**
 * User lists of basicAuth (`name:hash`) and digestAuth (`name:realm:HA1`), as Traefik reads
 * them: every entry must split on `:` into exactly the expected parts; a later entry for the
 * same key replaces an earlier one; no users is an error.
 *
 * @module
 */
import type { BasicAuth, DigestAuth } from '../dynamic/types.ts'
import { isSealed } from '../secrets/format.ts'
import { UnsupportedConfig } from './unsupported.ts'

/** Key (`name`, or `name:realm` for digest) -> secret. Throws, naming the entry's index, on a malformed one. */
export function parseUsers(users: unknown, parts: 2 | 3, field: string): Map<string, string> {
  if (!Array.isArray(users) || users.length === 0) throw new Error(`${field}: no users`)
  const out = new Map<string, string>()
  for (const [i, entry] of users.entries()) {
    const split = typeof entry === 'string' ? entry.split(':') : []
    if (split.length !== parts) {
      throw new Error(`${field}[${i}]: not a ${parts === 2 ? 'name:hash' : 'name:realm:hash'} entry`)
    }
    out.set(split.slice(0, parts - 1).join(':'), split[parts - 1]!)
  }
  return out
}

/** For basicAuth and digestAuth: a usersFile names a file on Traefik's disk, which the edge does not have. */
export function authUsersFileUnsupported(type: string, config: { usersFile?: string } | undefined): string | null {
  return config?.usersFile ? `${type}.usersFile is a file the edge cannot read (give the users in a Secret)` : null
}

export interface AuthSettings {
  /** Default `traefik`. */
  realm: string
  /** basicAuth: name -> hash; digestAuth: `name:realm` -> HA1. Null when the table sealed them (the edge parses them once opened). */
  users: Map<string, string> | null
}

function authConfig(type: 'basicAuth' | 'digestAuth', config: BasicAuth | DigestAuth): AuthSettings {
  const unsupported = authUsersFileUnsupported(type, config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  return { realm: config.realm || 'traefik', users: isSealed(config) ? null : parseUsers(config.users, type === 'basicAuth' ? 2 : 3, `${type}.users`) }
}

export const basicAuthConfig = (config: BasicAuth): AuthSettings => authConfig('basicAuth', config)
export const digestAuthConfig = (config: DigestAuth): AuthSettings => authConfig('digestAuth', config)
