import { describe, expect, it } from 'vitest'
import type { PreparedMiddleware } from '../../../shared/table/view.ts'
import { keepsHeadersClean } from './index.ts'

const m = (type: string): PreparedMiddleware => ({ name: `default-${type}`, type, config: {} })

describe('keepsHeadersClean', () => {
  it('holds for no middleware and for ones that only rewrite paths, redirect or limit', () => {
    expect(keepsHeadersClean([])).toBe(true)
    expect(keepsHeadersClean([m('stripPrefix'), m('addPrefix'), m('replacePathRegex'), m('rateLimit'), m('ipAllowList')])).toBe(true)
  })

  it('fails as soon as one may write any header (headers, auth, forwardAuth) or is unknown', () => {
    for (const type of ['headers', 'basicAuth', 'forwardAuth', 'retry', 'chain', 'plugin']) {
      expect(keepsHeadersClean([m('stripPrefix'), m(type)]), type).toBe(false)
    }
  })
})
