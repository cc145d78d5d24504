// Scripted faults for the test API server: answer the next N matching requests with an error
// status, or slow every answer down.

export interface FailRule {
  /** Status to answer, e.g. 500 or 503. */
  status: number
  /** How many matching requests it hits. */
  times: number
  /** Matched against `METHOD /path?query`; default every request. */
  match?: RegExp
}

export class Faults {
  readonly rules: FailRule[] = []
  /** Added before every answer. */
  delayMs = 0

  fail(rule: FailRule): void {
    this.rules.push({ ...rule })
  }

  /** The status to answer this request with instead of serving it, if a rule hits it. */
  take(request: string): number | undefined {
    const rule = this.rules.find((r) => r.times > 0 && (r.match === undefined || r.match.test(request)))
    if (rule === undefined) return undefined
    rule.times--
    return rule.status
  }
}
