// The parts' JSON kept between builds (PartsState's KEEP_BUILDS): what a burst re-packs is not
// rebuilt from the table, the blobs stay those of a fresh build, and a table left alone keeps none.
// (Random sequences of changes against the full pipeline: test/contract/incremental-pipeline.test.ts.)
import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import type { PackOptions } from '../../../shared/kv/pack-table.ts'
import { ingressRoute, serviceObjects } from '../../../test/support/apiserver/objects.ts'
import { CompileState, type Change } from './compile-state.ts'
import { PartsState } from './parts-state.ts'
import { TableState } from './table-state.ts'

/** Small buckets: 40 hosts spread over several. */
const PACK: PackOptions = { shardThresholdBytes: 0, bucketTargetBytes: 1500 }

function stages() {
  const compile = new CompileState({})
  const table = new TableState({ target: 'workerd' })
  const parts = new PartsState({ pack: PACK })
  return { parts, build: (changes: Change[]) => parts.apply(table, table.apply(compile.config, compile.apply(changes))) }
}

/** Route i, for path /a or /b: switching them changes the router, not the table's size (nor its bucket count). */
const route = (i: number, path: 'a' | 'b'): Change => ({
  object: ingressRoute({ name: `r${i}`, match: `Host(\`h${i}.test\`) && PathPrefix(\`/${path}\`)`, service: 'web' }) as KubeObject,
})

describe('PartsState', () => {
  it("keeps the JSON of lately re-packed buckets' parts, publishes what a fresh build does, and keeps none at rest", async () => {
    const cluster = new Map<string, Change>()
    for (const o of [
      ...serviceObjects({ name: 'web', addresses: ['10.0.0.1'], port: 80 }),
      ...serviceObjects({ name: 'wex', addresses: ['10.0.0.2'], port: 80 }),
    ]) {
      cluster.set(`${o.kind}/${(o.metadata as { name: string }).name}`, { object: o as KubeObject })
    }
    for (let i = 0; i < 40; i++) cluster.set(`r${i}`, route(i, 'a'))
    const s = stages()
    const first = await s.build([...cluster.values()])
    expect(first.manifest.routes.buckets.length).toBeGreaterThanOrEqual(8)
    // A first build (every bucket, for a new bucket count) keeps nothing.
    expect(s.parts.keptParts).toBe(0)

    // A burst: each build changes hosts in most buckets; the parts of the re-packed buckets are kept.
    for (let step = 0; step < 6; step++) {
      const changes: Change[] = []
      for (let i = step % 2; i < 40; i += 2) {
        const c = route(i, (step + i) % 4 < 2 ? 'b' : 'a')
        cluster.set(`r${i}`, c)
        changes.push(c)
      }
      const got = await s.build(changes)
      expect(s.parts.keptParts, `step ${step}`).toBeGreaterThan(0)
      const fresh = stages()
      const want = await fresh.build([...cluster.values()])
      expect(got.manifest, `step ${step}`).toEqual(want.manifest)
      for (const [digest, text] of got.blobs) expect(want.blobs.get(digest), `step ${step}: blob ${digest}`).toBe(text)
    }

    // Builds that re-pack nothing: the kept JSON goes after KEEP_BUILDS of them.
    for (let k = 0; k < 4; k++) await s.build([])
    expect(s.parts.keptParts).toBe(0)
    const again = route(3, 'b')
    cluster.set('r3', again)
    const got = await s.build([again])
    expect(got.manifest).toEqual((await stages().build([...cluster.values()])).manifest)
  })
})
