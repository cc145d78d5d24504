/**
 * Where the product reads Traefik's CRD schemas from: its own copy in `deploy/crds/` (MIT,
 * Traefik's `docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml`, the
 * same bytes as the test data in test/traefik/crds), so a deployed control plane reads nothing
 * from the test folder.
 *
 * @module
 */

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCRDSchemas, type CRDSchema } from './crd-schemas.ts'

const REPO_ROOT = join(import.meta.dirname, '../../..')

/** The CRD definitions shipped with the product. */
export const DEPLOYED_CRD_FILE = join(REPO_ROOT, 'deploy/crds/kubernetes-crd-definition-v1.yml')

/** Reads and parses a CRD manifest file; throws with the path when it cannot. */
export function loadCRDSchemas(file: string = DEPLOYED_CRD_FILE): Map<string, CRDSchema> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new Error(`cannot read CRD definitions ${file}: ${(err as Error).message}`)
  }
  return parseCRDSchemas(text, file)
}
