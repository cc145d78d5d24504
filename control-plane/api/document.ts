/**
 * What Traefik's API serves besides the runtime configuration: the entry points (in Traefik's
 * static configuration shape), the providers and features of the overview, and the version.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ApiData } from '../../shared/api/traefik-api.ts'
import type { RuntimeConfiguration } from '../../shared/api/runtime.ts'

export interface ApiFacts {
  /** Entry point names and, where the process knows it, the address each listens on. */
  entryPoints: Array<{ name: string; address?: string }>
  features?: ApiData['features']
}

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version
const STARTED = new Date().toISOString()

export function apiData(runtime: RuntimeConfiguration, facts: ApiFacts): ApiData {
  return {
    runtime,
    entryPoints: Object.fromEntries(facts.entryPoints.map((ep) => [ep.name, { address: ep.address ?? '', http: {} }])),
    providers: ['KubernetesCRD'],
    features: { tracing: '', metrics: '', accessLog: false, ...facts.features },
    version: { Version: VERSION, Codename: 'traefik-edge', startDate: STARTED },
  }
}
