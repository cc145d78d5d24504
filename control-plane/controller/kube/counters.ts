// Counters of the cluster watch, read by the ops server's /metrics (control-plane/controller/ops) and by tests.

export interface KubeCounters {
  /** Informer restarts after client-node's ListWatch stopped on an error, by watch id. */
  informerRestarts: Map<string, number>
  /** Full lists (first sync, 410 Gone relists, restarts), by watch id. */
  lists: Map<string, number>
  /** Tables the leader pushed (changed content). */
  pushes: number
  /** Pushes that failed (retried on the next change or tick). */
  pushFailures: number
  /** Builds held back because the table shrank and the API server did not confirm it. */
  shrinkHolds: number
  /** Kubernetes Events written (created or counted up). */
  eventsWritten: number
  /** Times this process became the leader. */
  leaderTransitions: number
  /** Incremental builds that failed and were redone from every object. */
  buildFallbacks: number
  /** Calls the API server refused with 403, by call (`list secrets`). */
  forbidden: Map<string, number>
}

export function newCounters(): KubeCounters {
  return {
    informerRestarts: new Map(),
    lists: new Map(),
    pushes: 0,
    pushFailures: 0,
    shrinkHolds: 0,
    eventsWritten: 0,
    leaderTransitions: 0,
    buildFallbacks: 0,
    forbidden: new Map(),
  }
}

export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by)
}
