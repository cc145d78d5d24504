/**
 * Small value helpers for translating CRD specs: durations with defaults, deep copies of the
 * parts Traefik's provider copies as they are.
 *
 * @module
 */

import type { SourceCriterion } from '../../../shared/dynamic/types.ts'
import type { IntOrString, SourceCriterionSpec } from '../crd/types.ts'
import { duration } from '../services/load-balancer.ts'

/**
 * Nanoseconds of a CRD duration (a bare integer is seconds), or `fallbackNs` when unset.
 * Throws a FieldError at `field` when it does not parse.
 */
export function durationOr(value: IntOrString | undefined | null, field: string, fallbackNs: number): number {
  if (value === undefined || value === null || value === '') return fallbackNs
  return duration(value, field)
}

/** A plain-data deep copy, so the output never aliases the input objects. */
export function copyData<T>(value: T): T {
  return structuredClone(value)
}

export function copySourceCriterion(spec: SourceCriterionSpec): SourceCriterion {
  const out: SourceCriterion = {}
  if (spec.ipStrategy !== undefined && spec.ipStrategy !== null) out.ipStrategy = copyData(spec.ipStrategy)
  if (spec.requestHeaderName) out.requestHeaderName = spec.requestHeaderName
  if (spec.requestHost === true) out.requestHost = true
  return out
}
