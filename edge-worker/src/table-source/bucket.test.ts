import { describe, expect, it } from 'vitest'
import { addParts, deflateTexts, hostHash, missingPart, openBucket, withShard, type Kept } from './bucket.ts'

const routes = (hosts: Record<string, unknown>): Kept => ({ digest: 'r', text: JSON.stringify({ hosts }) })
const shard = (services: Record<string, unknown>): Kept => ({ digest: 's', text: JSON.stringify({ schema: 'e1', services }) })

describe('a bucket as an isolate keeps it', () => {
  it('holds the parts of the hosts asked for and the servers of their services, its texts deflated', async () => {
    const hosts = { 'a.example': { services: { sa: {} } }, 'b.example': { services: { sb: {}, shared: {} } }, 'c.example': {} }
    const b = await openBucket(routes(hosts), shard({ sa: [1], sb: [2], sc: [3] }), ['a.example', 'nowhere.example'])
    expect([...b.parts]).toEqual([['a.example', hosts['a.example']]])
    expect(b.endpoints).toEqual({ schema: 'e1', services: { sa: [1] } })
    expect(missingPart(b, 'a.example')).toBe(false)
    expect(missingPart(b, 'b.example')).toBe(true)
    expect(missingPart(b, 'nowhere.example')).toBe(false)
    await deflateTexts(b)
    expect(b.routes.text).toBeUndefined()
    expect(b.routes.deflated).toBeInstanceOf(Uint8Array)
    // `shared` is rest's service: the shard does not carry it, nothing to pick.
    expect(await addParts(b, ['b.example'])).toBe(true)
    expect(b.endpoints).toEqual({ schema: 'e1', services: { sa: [1], sb: [2] } })
    expect(await addParts(b, ['b.example', 'nowhere.example'])).toBe(false)
    const moved = await withShard(b, shard({ sa: [9], sb: [2] }))
    expect(moved.endpoints).toEqual({ schema: 'e1', services: { sa: [9], sb: [2] } })
    expect([...moved.parts.keys()]).toEqual(['a.example', 'b.example'])
  })

  it('tells a host that only hashes like one of its hosts apart, once', async () => {
    const seen = new Map<number, string>()
    let pair: [string, string] | null = null
    for (let i = 0; pair === null && i < 1_000_000; i++) {
      const host = `h${i}.example`
      const other = seen.get(hostHash(host))
      if (other !== undefined) pair = [other, host]
      seen.set(hostHash(host), host)
    }
    const [inBucket, lookalike] = pair!
    const b = await openBucket(routes({ [inBucket]: { n: 1 } }), shard({}), [])
    expect(missingPart(b, lookalike)).toBe(true)
    expect(await addParts(b, [lookalike])).toBe(false)
    expect(missingPart(b, lookalike)).toBe(false)
    expect(b.parts.size).toBe(0)
    expect(await addParts(b, [inBucket])).toBe(true)
    expect(b.parts.get(inBucket)).toEqual({ n: 1 })
  })
})
