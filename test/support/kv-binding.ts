// A KvStore seen through the read half of a Workers KV binding, so the edge's table source can run
// in Node tests against the very store the publisher wrote.
import type { KvStore } from '../../control-plane/kv/store.ts'

export interface KvReads {
  /** Keys read so far, one entry per get call (a bulk read lists all its keys). */
  readonly reads: string[][]
}

export function kvBinding(store: KvStore): Pick<KVNamespace, 'get'> & KvReads {
  const reads: string[][] = []
  const get = async (key: string | string[]) => {
    const keys = Array.isArray(key) ? key : [key]
    reads.push(keys)
    const values = await store.get(keys)
    return Array.isArray(key) ? values : (values.get(key) ?? null)
  }
  return { reads, get: get as unknown as KVNamespace['get'] }
}
