// The controller's copy of the beacon token: trimmed as the edge trims its secret
// (shared/kv/beacon.ts), whether it comes from the environment or from a mounted Secret file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { beaconTokenFromEnv } from './beacon.ts'

const dir = mkdtempSync(join(tmpdir(), 'beacon-token-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text)
  return join(dir, name)
}

describe('beaconTokenFromEnv', () => {
  it('trims the token from TABLE_BEACON_TOKEN and from the file TABLE_BEACON_TOKEN_FILE', () => {
    expect(beaconTokenFromEnv({ TABLE_BEACON_TOKEN: 'abc123\n' })).toBe('abc123')
    expect(beaconTokenFromEnv({ TABLE_BEACON_TOKEN_FILE: file('token', 'abc123\r\n') })).toBe('abc123')
    // A variable that is only whitespace does not hide the file.
    expect(beaconTokenFromEnv({ TABLE_BEACON_TOKEN: '\n', TABLE_BEACON_TOKEN_FILE: file('token2', 'def456\n') })).toBe('def456')
  })

  it('refuses an empty token, naming where it looked', () => {
    expect(() => beaconTokenFromEnv({})).toThrow(/TABLE_BEACON_TOKEN \(or TABLE_BEACON_TOKEN_FILE\) not set/)
    const empty = file('empty', ' \n')
    expect(() => beaconTokenFromEnv({ TABLE_BEACON_TOKEN_FILE: empty })).toThrow(`TABLE_BEACON_TOKEN_FILE ${empty} is empty`)
  })
})
