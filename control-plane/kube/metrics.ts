// The cluster watch's counters and state as Prometheus metrics (prom-client), read at scrape time
// from the controller, so nothing has to be updated twice.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { ClusterController } from './controller.ts'

export function controllerRegistry(controller: ClusterController, registry = new Registry()): Registry {
  collectDefaultMetrics({ register: registry })
  const c = controller.counters
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect() { collect(this) } })
  // Monotonic totals exposed as gauges set at scrape time (prom-client Counters cannot be set).
  gauge('traefik_edge_informer_restarts_total', 'client-node informers restarted after they stopped on an error', ['watch'], (g) => {
    for (const [watch, n] of c.informerRestarts) g.set({ watch }, n)
  })
  gauge('traefik_edge_informer_lists_total', 'full lists (first sync, relists after 410 Gone or restarts)', ['watch'], (g) => {
    for (const [watch, n] of c.lists) g.set({ watch }, n)
  })
  gauge('traefik_edge_objects_watched', 'objects in the cluster cache', ['kind'], (g) => {
    for (const [kind, n] of controller.objectCounts()) g.set({ kind }, n)
  })
  gauge('traefik_edge_table_pushes_total', 'tables published (content changed)', [], (g) => g.set(c.pushes))
  gauge('traefik_edge_table_push_failures_total', 'publishes that failed (retried)', [], (g) => g.set(c.pushFailures))
  gauge('traefik_edge_table_shrink_holds_total', 'tables held back because they shrank unconfirmed', [], (g) => g.set(c.shrinkHolds))
  gauge('traefik_edge_events_written_total', 'Kubernetes Events written', [], (g) => g.set(c.eventsWritten))
  gauge('traefik_edge_leader', '1 when this replica holds the Lease', [], (g) => g.set(controller.state().leader ? 1 : 0))
  gauge('traefik_edge_cache_synced', '1 when every informer has synced', [], (g) => g.set(controller.state().synced ? 1 : 0))
  return registry
}
