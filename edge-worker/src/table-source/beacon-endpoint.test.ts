// The beacon's PUT endpoint and the token it compares: a secret stored with a trailing newline (set
// through the dashboard or Cloudflare's API from a file; wrangler trims only what it reads on stdin)
// must match the token the controller sends, which it reads trimmed from its mounted Secret;
// anything else is routed as an ordinary request.
import { describe, expect, it } from 'vitest'
import { BEACON_PATH, withBeaconEndpoint, type DurableObjectNamespaceLike } from './beacon-endpoint.ts'

const TOKEN = 'a3f0c4e1b2d9'.repeat(5)

/** The worker's fetch behind the endpoint, with a beacon namespace that records what it was handed. */
function worker(configuredToken: string | undefined) {
  const handedToBeacon: string[] = []
  const beacon: DurableObjectNamespaceLike = {
    idFromName: (name) => name,
    get: () => ({
      fetch: async (_input, init) => {
        handedToBeacon.push(String(init?.body))
        return new Response('stored', { status: 200 })
      },
    }),
  }
  const fetch = withBeaconEndpoint(async () => new Response('routed', { status: 404 }))
  const env = { TABLE_BEACON: beacon, TABLE_BEACON_TOKEN: configuredToken }
  const put = async (authorization: string | null, init: { method?: string; path?: string } = {}) => {
    const headers = new Headers()
    if (authorization !== null) headers.set('authorization', authorization)
    const res = await fetch(new Request(`https://edge.example${init.path ?? BEACON_PATH}`, { method: init.method ?? 'PUT', headers, body: 'pointer' }), env, {})
    return res.text()
  }
  return { put, handedToBeacon }
}

describe('the version beacon endpoint', () => {
  it("takes the token the controller sends when the secret was stored with surrounding whitespace (a file's newline)", async () => {
    for (const stored of [`${TOKEN}\n`, `${TOKEN}\r\n`, ` ${TOKEN}\t\n`, TOKEN]) {
      const w = worker(stored)
      expect(await w.put(`Bearer ${TOKEN}`), JSON.stringify(stored)).toBe('stored')
      expect(w.handedToBeacon).toEqual(['pointer'])
    }
  })

  it('routes every other request as usual: wrong, partial or missing token, another method or path', async () => {
    const w = worker(`${TOKEN}\n`)
    for (const auth of [`Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, 'Bearer', `Basic ${TOKEN}`, null])
      expect(await w.put(auth), String(auth)).toBe('routed')
    expect(await w.put(`Bearer ${TOKEN}`, { method: 'POST' })).toBe('routed')
    expect(await w.put(`Bearer ${TOKEN}`, { path: `${BEACON_PATH}x` })).toBe('routed')
    expect(w.handedToBeacon).toEqual([])
  })

  it('is off when the secret is empty or only whitespace: no token opens it', async () => {
    for (const stored of ['', '\n', '  \r\n', undefined]) {
      const w = worker(stored)
      for (const auth of ['Bearer ', 'Bearer', `Bearer ${TOKEN}`]) expect(await w.put(auth), JSON.stringify(stored)).toBe('routed')
      expect(w.handedToBeacon).toEqual([])
    }
  })
})
