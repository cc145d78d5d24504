/**
 * Forged tables, from whoever can write the KV namespace but does not hold the signing key: the
 * table loader on workerd refuses each and keeps serving the last good table. These held when the
 * adversarial review ran (issue 17); kept here so none comes back. (Replays to a cold isolate and
 * refused tables that are repaired: ./table-tampering.test.ts.)
 *
 * Tampered and truncated blobs; an unsigned pointer (`alg: none`), a bad signature, a key that
 * claims the right `kid`; key confusion (HS256 keyed with the public key, ES256 under an Ed25519
 * key's `kid`); unknown layout and schema versions; a token of another type signed by the right
 * key; an older pointer replayed to a warm isolate.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CompactSign, exportJWK, generateKeyPair, importJWK } from 'jose'
import type { LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { BLOB_PREFIX, POINTER_KEY, POINTER_TYP } from '../../shared/kv/layout.ts'
import { eventually } from '../support/eventually.ts'
import { packedWith as packed, probe, probeTable as table, startTableProbe, staysAt, type TableProbe } from '../support/table-probe.ts'

let t: TableProbe
let edge: LocalEdge
let store: TableProbe['store']
let v2Pointer: string

beforeAll(async () => {
  t = await startTableProbe()
  ;({ edge, store } = t)
  await edge.publish(table(1))
  await edge.publish(table(2))
  await eventually(async () => expect(JSON.parse((await probe(edge)).body).endpoints.version).toBe(2))
  v2Pointer = store.data.get(POINTER_KEY)!
})

afterAll(() => t?.stop())

/** Keeps probing for a while, asserts the served version never changed and the refusal was logged. */
async function refused(version: number, reason: RegExp): Promise<void> {
  await staysAt(edge, version)
  expect(t.logs.join('\n')).toMatch(reason)
  t.logs.length = 0
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

describe('forged tables', () => {
  it('refuses a tampered blob and keeps the last good table', async () => {
    const next = await packed(table(3), edge.signer)
    for (const [k, v] of next) await store.put([[k, k.startsWith(BLOB_PREFIX) ? v.replace('3', '4') : v]])
    await refused(2, /tampered or truncated/)
  })

  it('refuses a truncated blob', async () => {
    const next = await packed(table(5), edge.signer)
    for (const [k, v] of next) await store.put([[k, k.startsWith(BLOB_PREFIX) ? v.slice(0, -3) : v]])
    await refused(2, /tampered or truncated/)
  })

  it('refuses an unsigned pointer and one signed by an unknown key', async () => {
    const next = await packed(table(6), edge.signer)
    const [header, payload] = next.get(POINTER_KEY)!.split('.')
    const unsigned = `${b64({ alg: 'none', typ: POINTER_TYP })}.${payload}.`
    await store.put([...next].filter(([k]) => k !== POINTER_KEY))
    await store.put([[POINTER_KEY, unsigned]])
    await refused(2, /"alg" \(Algorithm\) Header Parameter value not allowed/)
    await store.put([[POINTER_KEY, `${header}.${payload}.${'A'.repeat(86)}`]])
    await refused(2, /signature verification failed/)
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const stranger = await signerFromJwk({ ...(await exportJWK(privateKey)), kid: edge.signer.kid })
    const forged = await packed(table(7), stranger)
    await store.put([...forged])
    await refused(2, /signature verification failed/)
  })

  it('refuses key confusion: HS256 keyed with the public key, ES256 under the Ed25519 key id', async () => {
    const next = await packed(table(9), edge.signer)
    const payload = next.get(POINTER_KEY)!.split('.')[1]!
    await store.put([...next].filter(([k]) => k !== POINTER_KEY))
    // The public key (the JWKS every edge holds) used as an HMAC secret.
    const publicJwk = edge.signer.jwks.keys[0]!
    for (const secret of [JSON.stringify(publicJwk), String(publicJwk.x)]) {
      const hs = await new CompactSign(Buffer.from(payload, 'base64url'))
        .setProtectedHeader({ alg: 'HS256', kid: edge.signer.kid, typ: POINTER_TYP })
        .sign(new TextEncoder().encode(secret))
      await store.put([[POINTER_KEY, hs]])
      await refused(2, /"alg" \(Algorithm\) Header Parameter value not allowed/)
    }
    // An allowed algorithm, a key of another type, the trusted key's id.
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const es = await new CompactSign(Buffer.from(payload, 'base64url'))
      .setProtectedHeader({ alg: 'ES256', kid: edge.signer.kid, typ: POINTER_TYP })
      .sign(privateKey)
    await store.put([[POINTER_KEY, es]])
    await refused(2, /signature refused/)
  })

  it('refuses unknown layout and schema versions, other token types, and an older pointer replayed to a warm isolate', async () => {
    const sign = (m: unknown) => edge.signer.sign(JSON.stringify(m))
    const next = await packed(table(8), edge.signer)
    const manifest = JSON.parse(Buffer.from(next.get(POINTER_KEY)!.split('.')[1]!, 'base64url').toString())
    await store.put([...next].filter(([k]) => k !== POINTER_KEY))
    await store.put([[POINTER_KEY, await sign({ ...manifest, layout: 99 })]])
    await refused(2, /unknown table layout version 99/)
    await store.put([[POINTER_KEY, await sign({ ...manifest, schema: 'probe-0' })]])
    await refused(2, /table schema "probe-0" is not "probe-1"/)
    // A token of another type signed by the right key is not a table either.
    const other = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifest)))
      .setProtectedHeader({ alg: 'Ed25519', kid: edge.signer.kid, typ: 'JWT' })
      .sign(await importJWK(JSON.parse(await readFile(join(t.stateDir, 'signing-key.jwk.json'), 'utf8')), 'Ed25519'))
    await store.put([[POINTER_KEY, other]])
    await refused(2, /pointer is a JWT token, not a table/)
    // The checks above really ran: a good pointer is taken right away.
    await store.put([[POINTER_KEY, await sign({ ...manifest, issuedAt: Date.now() })]])
    await eventually(async () => expect(JSON.parse((await probe(edge)).body).endpoints.version).toBe(8))
    // Replaying an older, validly signed pointer does not roll the edge back.
    await store.put([[POINTER_KEY, v2Pointer]])
    await refused(8, /older than the table in use/)
  })
})
