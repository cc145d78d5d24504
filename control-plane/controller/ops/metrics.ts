// The control plane's Prometheus metrics (prom-client), as named objects so each part updates its
// own: the controller (objects watched, informer restarts, leader state, compile duration) and the
// publisher (push latency and failures, table version and size, last successful push).
// Everything lives in one Registry that /metrics (./server.ts) serves.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface OpsMetrics {
  readonly registry: Registry
  /** Objects in the cluster cache, by kind. */
  readonly objectsWatched: Gauge<'kind'>
  /** Snapshot -> Traefik dynamic configuration -> edge table, in seconds. */
  readonly compileDuration: Histogram
  /** One publish (blobs, then the signed pointer), in seconds; unchanged tables included. */
  readonly pushDuration: Histogram
  readonly pushFailures: Counter
  /** Pointers the edge's version beacon did not take (the edge then learns of them from KV, slower). */
  readonly beaconFailures: Counter
  /** 1 for the published table's routes version (label), nothing else. */
  readonly tableInfo: Gauge<'version' | 'endpoints'>
  /** Bytes of the blobs the published pointer names. */
  readonly tableSizeBytes: Gauge
  /** 1 when this replica holds the Lease (or runs without leader election). */
  readonly leader: Gauge
  /** client-node informers restarted after they stopped on an error, by watch. */
  readonly informerRestarts: Counter<'watch'>
  /** Unix time, in seconds, of the last publish that succeeded. */
  readonly lastPushTimestamp: Gauge
}

/** Latencies from a few ms (local store) to tens of seconds (Workers KV with 429 backoff). */
const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

export function createOpsMetrics(options: { registry?: Registry; defaultMetrics?: boolean } = {}): OpsMetrics {
  const registry = options.registry ?? new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const seconds = (name: string, help: string) => new Histogram({ name, help, buckets: SECONDS_BUCKETS, registers })
  return {
    registry,
    objectsWatched: new Gauge({ name: 'traefik_edge_objects_watched', help: 'objects in the cluster cache', labelNames: ['kind'], registers }),
    compileDuration: seconds('traefik_edge_compile_duration_seconds', 'cluster snapshot to edge table (validation, compile, table build)'),
    pushDuration: seconds('traefik_edge_push_duration_seconds', 'one publish to the KV sink: blobs, then the signed pointer'),
    pushFailures: new Counter({ name: 'traefik_edge_table_push_failures_total', help: 'publishes that failed (retried)', registers }),
    beaconFailures: new Counter({ name: 'traefik_edge_beacon_failures_total', help: 'pointers the version beacon did not take', registers }),
    tableInfo: new Gauge({
      name: 'traefik_edge_table_info',
      help: 'the published table: 1 for its routes and endpoints versions',
      labelNames: ['version', 'endpoints'],
      registers,
    }),
    tableSizeBytes: new Gauge({ name: 'traefik_edge_table_size_bytes', help: 'bytes of the blobs the published pointer names', registers }),
    leader: new Gauge({ name: 'traefik_edge_leader', help: '1 when this replica holds the Lease', registers }),
    informerRestarts: new Counter({
      name: 'traefik_edge_informer_restarts_total',
      help: 'client-node informers restarted after they stopped on an error',
      labelNames: ['watch'],
      registers,
    }),
    lastPushTimestamp: new Gauge({ name: 'traefik_edge_last_push_timestamp_seconds', help: 'Unix time of the last successful publish', registers }),
  }
}
