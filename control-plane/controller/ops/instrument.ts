// Wraps the two timed steps of the control plane so their metrics are recorded in one place:
// a publish (latency, failures, table version and size, last success) and a build (duration).
import type { PublishResult } from '../../publish/publisher.ts'
import type { OpsMetrics } from './metrics.ts'

/** `publish` with its latency, failures and outcome recorded; results and errors pass through. */
export function instrumentPublish<A extends unknown[]>(
  metrics: OpsMetrics,
  publish: (...args: A) => Promise<PublishResult>,
  now: () => number = Date.now,
): (...args: A) => Promise<PublishResult> {
  return async (...args) => {
    const end = metrics.pushDuration.startTimer()
    let result: PublishResult
    try {
      result = await publish(...args)
    } catch (err) {
      end()
      metrics.pushFailures.inc()
      throw err
    }
    end()
    if (result.beacon && 'error' in result.beacon) metrics.beaconFailures.inc()
    recordTable(metrics, result)
    metrics.lastPushTimestamp.set(now() / 1000)
    return result
  }
}

/** Sets the table gauges to the published version (also for a resumed, unchanged one). */
export function recordTable(metrics: OpsMetrics, result: Pick<PublishResult, 'manifest' | 'bytes'>): void {
  metrics.tableInfo.reset()
  metrics.tableInfo.set({ version: result.manifest.routes.version, endpoints: result.manifest.endpoints.version }, 1)
  metrics.tableSizeBytes.set(result.bytes)
}

/** Times a synchronous build step into the compile duration histogram. */
export function timeCompile<T>(metrics: OpsMetrics, build: () => T): T {
  const end = metrics.compileDuration.startTimer()
  try {
    return build()
  } finally {
    end()
  }
}
