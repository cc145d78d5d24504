/**
 * Where Traefik's vendored test data lives (test/traefik/: its licence and source commit are
 * there). Every test reads that data through these paths, so the data can move in one place.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** test/traefik: Traefik's CRDs, fixtures and case tables. */
export const TRAEFIK_DATA_DIR = join(import.meta.dirname, '..', 'traefik')
/** Traefik's CRD definitions (kubernetes-crd-definition-v1.yml and friends). */
export const TRAEFIK_CRDS_DIR = join(TRAEFIK_DATA_DIR, 'crds')
/** The YAML fixtures of Traefik's Kubernetes CRD provider tests. */
export const CRD_FIXTURES_DIR = join(TRAEFIK_DATA_DIR, 'fixtures', 'crd')
/** The manifests of Traefik's Kubernetes integration tests. */
export const INTEGRATION_FIXTURES_DIR = join(TRAEFIK_DATA_DIR, 'fixtures', 'integration')
/** Traefik's test tables transcribed as JSON (rules, middlewares, provider). */
export const CONFORMANCE_DIR = join(TRAEFIK_DATA_DIR, 'conformance')

/** A case table of CONFORMANCE_DIR, parsed (`rules.json`, `middlewares.json`, ...). */
export function conformanceCases<T>(file: string): T {
  return JSON.parse(readFileSync(join(CONFORMANCE_DIR, file), 'utf8')) as T
}
