/**
 * Schema validation of a whole snapshot before it is indexed: objects the API server would
 * refuse are left out (a real cluster would not hold them), every problem becomes a located
 * diagnostic. Objects of kinds without a schema pass through untouched.
 *
 * @module
 */

import type { Diagnostic } from '../diagnostics/diagnostics.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'
import type { Snapshot } from '../snapshot/snapshot.ts'
import { defaultValidator, isRejected, refOf, type CRDValidator } from './validate.ts'

export interface ValidatedSnapshot {
  /** The snapshot without the rejected objects (same sources map). */
  snapshot: Snapshot
  diagnostics: Diagnostic[]
}

export function validateSnapshot(snapshot: Snapshot, validator: CRDValidator = defaultValidator()): ValidatedSnapshot {
  const diagnostics: Diagnostic[] = []
  const kept: KubeObject[] = []
  for (const obj of snapshot.objects) {
    if (obj === null || typeof obj !== 'object' || !validator.knows(obj.apiVersion, obj.kind)) {
      kept.push(obj)
      continue
    }
    const found = validator.validateObject(obj, refOf(obj, snapshot.sources))
    if (isRejected(found)) {
      for (const d of found) {
        if (d.severity === 'error') d.message += '; object skipped (Kubernetes would refuse it)'
      }
    } else {
      kept.push(obj)
    }
    diagnostics.push(...found)
  }
  const out: Snapshot = { objects: kept }
  if (snapshot.sources !== undefined) out.sources = snapshot.sources
  if (snapshot.locate !== undefined) out.locate = snapshot.locate
  return { snapshot: out, diagnostics }
}
