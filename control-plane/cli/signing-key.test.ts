import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compactVerify, createLocalJWKSet, exportSPKI, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from './signing-key.ts'
import { loadSigningKey } from '../publish/signing-key.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'signing-key-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

async function run(...argv: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) })
  return { code, stdout, stderr }
}

describe('npm run signing-key', () => {
  it('generates keys with a kid, mode 0600, and never overwrites one', async () => {
    const file = join(dir, 'a.jwk.json')
    const made = await run('generate', '--out', file, '--kid', 'table-2026-11')
    expect(made).toMatchObject({ code: 0, stdout: 'table-2026-11\n' })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const signer = await loadSigningKey(file)
    expect(signer).toMatchObject({ kid: 'table-2026-11', alg: 'Ed25519' })
    const again = await run('generate', '--out', file)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/EEXIST/)
    const es = await run('generate', '--out', join(dir, 'b.jwk.json'), '--alg', 'ES256')
    expect(es.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/) // RFC 7638 thumbprint
  })

  it('prints one JWKS of the public halves that verifies what each key signs', async () => {
    const old = join(dir, 'a.jwk.json')
    const next = join(dir, 'b.jwk.json')
    const { code, stdout } = await run('jwks', old, next, old)
    expect(code).toBe(0)
    const jwks = JSON.parse(stdout)
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([(await loadSigningKey(old)).kid, (await loadSigningKey(next)).kid])
    expect(stdout).not.toMatch(/"d"/)
    for (const file of [old, next]) {
      const signer = await loadSigningKey(file)
      const { payload } = await compactVerify(await signer.sign('hello'), createLocalJWKSet(jwks))
      expect(new TextDecoder().decode(payload)).toBe('hello')
    }
  })

  it('reads PEM keys given their algorithm', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true })
    const pem = join(dir, 'pub.pem')
    await writeFile(pem, await exportSPKI(publicKey))
    const withAlg = await run('jwks', '--alg', 'ES256', pem)
    expect(JSON.parse(withAlg.stdout).keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    const without = await run('jwks', pem)
    expect(without).toMatchObject({ code: 1, stderr: expect.stringContaining('pub.pem: a PEM key needs its algorithm') })
  })

  it('refuses two different keys with one kid, and bad usage', async () => {
    const a = JSON.parse(await readFile(join(dir, 'a.jwk.json'), 'utf8'))
    const clash = join(dir, 'clash.jwk.json')
    await run('generate', '--out', clash, '--kid', a.kid)
    expect(await run('jwks', join(dir, 'a.jwk.json'), clash)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`two different keys share the kid "${a.kid}"`),
    })
    expect((await run('jwks')).code).toBe(2)
    expect((await run('generate', '--out', join(dir, 'x'), '--alg', 'RS256')).code).toBe(2)
    expect((await run('rotate')).stderr).toMatch(/unknown command "rotate"/)
  })

  it('makes the key pair middleware secrets are sealed to: private file for the worker, public JWK for the controller', async () => {
    const file = join(dir, 'secrets.jwk.json')
    const { code, stdout } = await run('secrets-key', '--out', file)
    expect(code).toBe(0)
    const pub = JSON.parse(stdout)
    expect(pub).toMatchObject({ kty: 'EC', crv: 'P-256', kid: expect.any(String) })
    expect(pub.d).toBeUndefined()
    const priv = JSON.parse(await readFile(file, 'utf8'))
    expect(priv).toMatchObject({ ...pub, d: expect.any(String) })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await run('secrets-key', '--out', file)).toMatchObject({ code: 1, stderr: expect.stringContaining('exists') })
  })

  it('writes what goes to a file itself (--out, --public-out): nothing on stdout, so no banner can get in', async () => {
    const jwksFile = join(dir, 'table-jwks.json')
    expect(await run('jwks', '--out', jwksFile, join(dir, 'a.jwk.json'))).toMatchObject({ code: 0, stdout: '' })
    expect(JSON.parse(await readFile(jwksFile, 'utf8')).keys).toHaveLength(1)
    // A public JWKS is derived: writing it again (rotation) replaces it.
    expect((await run('jwks', '--out', jwksFile, join(dir, 'a.jwk.json'), join(dir, 'b.jwk.json'))).code).toBe(0)
    expect(JSON.parse(await readFile(jwksFile, 'utf8')).keys).toHaveLength(2)
    const priv = join(dir, 'sealing.jwk.json')
    const pub = join(dir, 'sealing.public.jwk.json')
    expect(await run('secrets-key', '--out', priv, '--public-out', pub)).toMatchObject({ code: 0, stdout: '' })
    const publicJwk = JSON.parse(await readFile(pub, 'utf8'))
    expect(publicJwk.d).toBeUndefined()
    expect(JSON.parse(await readFile(priv, 'utf8'))).toMatchObject({ ...publicJwk, d: expect.any(String) })
    expect(await run('secrets-key', '--out', join(dir, 'other.jwk.json'), '--public-out', pub)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('exists'),
    })
  })
})
