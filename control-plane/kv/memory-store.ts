// A KvStore held in memory: for tests and for an edge whose control plane lives in the same process.
import type { KvStore } from './store.ts'

export function createMemoryKvStore(initial?: Iterable<readonly [string, string]>): KvStore & {
  readonly data: Map<string, string>
} {
  const data = new Map<string, string>(initial)
  return {
    data,
    async get(keys) {
      return new Map(keys.map((k) => [k, data.get(k) ?? null]))
    },
    async put(entries) {
      for (const [k, v] of entries) data.set(k, v)
    },
    async delete(keys) {
      for (const k of keys) data.delete(k)
    },
    async list(prefix) {
      return [...data.keys()].filter((k) => k.startsWith(prefix)).sort()
    },
    async close() {},
  }
}
