// A burst: builds that each change hosts in most buckets give the blobs of a fresh build, endpoints
// shards (whose services come from the parts' lookups) included. (Random sequences of changes
// against the full pipeline: test/contract/incremental-pipeline.test.ts.)
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
  it('publishes what a fresh build does after each build of a burst', async () => {
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

    // Each build changes hosts in most buckets; as a burst does.
    for (let step = 0; step < 6; step++) {
      const changes: Change[] = []
      for (let i = step % 2; i < 40; i += 2) {
        const c = route(i, (step + i) % 4 < 2 ? 'b' : 'a')
        cluster.set(`r${i}`, c)
        changes.push(c)
      }
      const got = await s.build(changes)
      const fresh = stages()
      const want = await fresh.build([...cluster.values()])
      expect(got.manifest, `step ${step}`).toEqual(want.manifest)
      for (const [digest, text] of got.blobs) expect(want.blobs.get(digest), `step ${step}: blob ${digest}`).toBe(text)
    }
  })
})
