// Schema validation of the cluster snapshot, remembered per object: informers hand out a new
// object for every change, so an object seen before needs no second look, and a recompile after
// one change validates one object instead of every one. Same contract as the compiler's
// validateSnapshot (rejected objects left out, every problem a diagnostic).
import type { Diagnostic, Snapshot } from '../../compiler/index.ts'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import { validateSnapshot } from '../../compiler/validate/validate-snapshot.ts'

interface Verdict {
  kept: boolean
  diagnostics: Diagnostic[]
}

export class ValidationCache {
  #verdicts = new WeakMap<KubeObject, Verdict>()

  validate(snapshot: Snapshot): { snapshot: Snapshot; diagnostics: Diagnostic[] } {
    const kept: KubeObject[] = []
    const diagnostics: Diagnostic[] = []
    for (const obj of snapshot.objects) {
      let verdict = this.#verdicts.get(obj)
      if (verdict === undefined) {
        const one = validateSnapshot({ objects: [obj] })
        verdict = { kept: one.snapshot.objects.length === 1, diagnostics: one.diagnostics }
        this.#verdicts.set(obj, verdict)
      }
      if (verdict.kept) kept.push(obj)
      // Copies: the compiler's sink may be appended to by later stages, never these.
      for (const d of verdict.diagnostics) diagnostics.push({ ...d })
    }
    return { snapshot: { objects: kept }, diagnostics }
  }
}
