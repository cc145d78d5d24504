/**
 * Active health checks in the file-mode control plane: the build stage hands each new dynamic
 * configuration to the checker, every publish writes the checker's state into the endpoints
 * table, and a status change republishes the last built table with the new state (only the
 * endpoints blobs holding the services whose servers changed, and the pointer, are written; see
 * docs/table.md).
 *
 * @module
 */
import type { EndpointsTable } from '../../shared/table/schema.ts'
import type { PublishResult } from '../publish/publisher.ts'
import type { Built } from '../pipeline/built.ts'
import type { EdgeTableStage } from '../pipeline/pipeline.ts'
import { HealthChecker, type HealthCheckerOptions } from './checker.ts'
import { applyHealth } from './overlay.ts'

export interface ActiveHealth {
  /** The build stage, feeding the checker each configuration it builds. */
  stage(inner: EdgeTableStage): EdgeTableStage
  /** The publish step, with the current health written into the endpoints. */
  publish(inner: (built: Built) => Promise<PublishResult>): (built: Built) => Promise<PublishResult>
  stop(): void
}

export interface ActiveHealthOptions {
  report: (line: string) => void
  probe?: HealthCheckerOptions['probe']
  /**
   * Whether a status change may be published now (a replica that lost its lease must not write):
   * default always. Builds published through `publish` are the caller's to gate.
   */
  mayPublish?: () => boolean
}

export function activeHealth(options: ActiveHealthOptions): ActiveHealth {
  let last: Built | null = null
  let publishInner: ((built: Built) => Promise<PublishResult>) | null = null
  const withHealth = (built: Built): Built => {
    const endpoints = built.table.endpoints as EndpointsTable
    return { ...built, table: { ...built.table, endpoints: { ...endpoints, services: applyHealth(endpoints.services, checker.state) } } }
  }
  const checker = new HealthChecker({
    report: options.report,
    probe: options.probe,
    onChange: () => {
      if (!last || !publishInner || options.mayPublish?.() === false) return
      publishInner(withHealth(last)).catch((err: unknown) => options.report(`health update not published: ${(err as Error).message}`))
    },
  })
  return {
    stage: (inner) => (config, context) => {
      checker.update(config)
      return inner(config, context)
    },
    publish: (inner) => {
      publishInner = inner
      return (built) => {
        last = built
        return inner(withHealth(built))
      }
    },
    stop: () => checker.stop(),
  }
}
