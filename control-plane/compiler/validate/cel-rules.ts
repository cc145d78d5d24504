/**
 * `x-kubernetes-validations`: CEL rules the API server checks on a schema node, with `self`
 * bound to the node's value (Traefik's CRDs use them for `addPrefix.prefix` and for a rootCA
 * that names both a Secret and a ConfigMap). Evaluated with a CEL library, each rule parsed once.
 *
 * @module
 */

import { parse } from '@marcbachmann/cel-js'
import type { Ajv, ErrorObject } from 'ajv'

interface Rule {
  rule: string
  message?: string
}

type Program = ReturnType<typeof parse>

const programs = new Map<string, Program>()

function program(rule: string): Program {
  let p = programs.get(rule)
  if (p === undefined) programs.set(rule, (p = parse(rule)))
  return p
}

/** The message of every rule `self` breaks; a rule that cannot be evaluated on it is no verdict. */
export function brokenRules(rules: readonly Rule[], self: unknown): string[] {
  const out: string[] = []
  for (const r of rules) {
    let ok: unknown
    try {
      ok = program(r.rule)({ self })
    } catch {
      // A value of the wrong type makes CEL fail; the schema's `type` already reports it.
      continue
    }
    if (ok === false) out.push(r.message ?? `failed rule: ${r.rule}`)
  }
  return out
}

export function addCELKeyword(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    errors: true,
    validate: function check(rules: Rule[], data: unknown): boolean {
      const broken = brokenRules(rules, data)
      ;(check as { errors?: Partial<ErrorObject>[] }).errors = broken.map((message) => ({
        keyword: 'x-kubernetes-validations',
        message,
        params: {},
      }))
      return broken.length === 0
    },
  })
}
