// core/v1 and events.k8s.io/v1 Events are one set of objects (as on a real API server): stored
// in core/v1's shape, shown through events.k8s.io/v1 with its field names (regarding, note,
// deprecatedCount...). The conversion follows k8s.io/kubernetes/pkg/apis/events/v1's.
import type { Obj } from './store.ts'

const RENAMES: Array<[core: string, v1: string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
]

function rename(obj: Obj, pairs: Array<[string, string]>, apiVersion: string): Obj {
  const out: Obj = { ...obj, apiVersion }
  for (const [from, to] of pairs) {
    delete out[from]
    if (obj[from] !== undefined && obj[from] !== null && obj[from] !== '') out[to] = obj[from]
  }
  return out
}

export function eventToV1(core: Obj): Obj {
  return rename(core, RENAMES, 'events.k8s.io/v1')
}

export function eventToCore(v1: Obj): Obj {
  return rename(
    v1,
    RENAMES.map(([a, b]) => [b, a]),
    'v1',
  )
}
