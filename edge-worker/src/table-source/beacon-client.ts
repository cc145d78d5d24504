// The isolate's side of the version beacon: asks the TableBeacon object for the pointer it holds.
import { beaconStub, type DurableObjectNamespaceLike } from './beacon-endpoint.ts'

/** Reads the beacon's pointer: null when it holds none yet; throws when it cannot be asked. */
export function beaconReader(namespace: DurableObjectNamespaceLike): () => Promise<string | null> {
  return async () => {
    const res = await beaconStub(namespace).fetch('https://beacon/pointer')
    if (res.status === 204) return null
    const text = await res.text()
    if (!res.ok) throw new Error(`beacon answered ${res.status}: ${text.slice(0, 200)}`)
    return text
  }
}
