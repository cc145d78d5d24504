import { describe, expect, it } from 'vitest'
import { parseGoQuery } from './query.ts'

describe("Go's URL.Query()", () => {
  it.each([
    ['q=traefik&rel=ddg', 'q', ['traefik']],
    ['q=traefik&q=proxy', 'q', ['traefik', 'proxy']],
    ['mobile', 'mobile', ['']],
    ['mobile=', 'mobile', ['']],
    ['a+b=c+d', 'a b', ['c d']],
    ['a%20b=%41', 'a b', ['A']],
    ['q=%C3%A9', 'q', ['é']],
    // A pair with a `;` is dropped, not split.
    ['q=a;b&q=c', 'q', ['c']],
    ['q=a;q=b', 'q', []],
    // A malformed escape drops that pair only.
    ['q=%zz&q=ok', 'q', ['ok']],
    ['q=100%&q=ok', 'q', ['ok']],
    ['&&q=1&&', 'q', ['1']],
    ['=x', '', ['x']],
    ['Q=1', 'q', []],
  ])('%j: %s is %j', (raw, key, values) => {
    expect(parseGoQuery(raw).getAll(key)).toEqual(values)
  })
})
