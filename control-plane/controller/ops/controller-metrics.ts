// Copies the cluster controller's state (control-plane/controller/kube: counters, cache, leadership) into
// the ops metrics at scrape time, so the controller keeps one set of counters and /metrics
// never disagrees with them. Returns the `beforeScrape` hook of the ops server.
import { Gauge } from 'prom-client'
import type { ClusterController } from '../kube/controller.ts'
import type { OpsMetrics } from './metrics.ts'

type Controller = Pick<ClusterController, 'counters' | 'state' | 'objectCounts'>

export function controllerScrape(metrics: OpsMetrics, controller: Controller): () => void {
  const registers = [metrics.registry]
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers })
  // Totals the controller counts itself, exposed as gauges (a prom-client Counter cannot be set).
  const lists = gauge('traefik_edge_informer_lists_total', 'full lists (first sync, relists after 410 Gone or restarts)', ['watch'])
  const pushes = gauge('traefik_edge_table_pushes_total', 'tables published (content changed)')
  const shrinkHolds = gauge('traefik_edge_table_shrink_holds_total', 'tables held back because they shrank unconfirmed')
  const events = gauge('traefik_edge_events_written_total', 'Kubernetes Events written')
  const synced = gauge('traefik_edge_cache_synced', '1 when every informer has synced')
  const fallbacks = gauge('traefik_edge_incremental_fallbacks_total', 'incremental builds that failed and were redone from every object')
  const forbidden = gauge('traefik_edge_kube_forbidden_total', 'API calls refused with 403 Forbidden (a permission the ServiceAccount lacks), by call', [
    'call',
  ])
  const forbiddenNow = gauge('traefik_edge_kube_forbidden', '1 while this call is refused with 403 (then /readyz is 503)', ['call'])
  const restartsSeen = new Map<string, number>()

  return () => {
    const c = controller.counters
    const state = controller.state()
    metrics.objectsWatched.reset()
    for (const [kind, n] of controller.objectCounts()) metrics.objectsWatched.set({ kind }, n)
    metrics.leader.set(state.leader ? 1 : 0)
    synced.set(state.synced ? 1 : 0)
    // A real Counter: add what happened since the last scrape.
    for (const [watch, n] of c.informerRestarts) {
      const delta = n - (restartsSeen.get(watch) ?? 0)
      if (delta > 0) metrics.informerRestarts.inc({ watch }, delta)
      restartsSeen.set(watch, n)
    }
    for (const [watch, n] of c.lists) lists.set({ watch }, n)
    pushes.set(c.pushes)
    shrinkHolds.set(c.shrinkHolds)
    events.set(c.eventsWritten)
    fallbacks.set(c.buildFallbacks)
    for (const [call, n] of c.forbidden) forbidden.set({ call }, n)
    forbiddenNow.reset()
    for (const call of state.forbidden) forbiddenNow.set({ call }, 1)
  }
}
