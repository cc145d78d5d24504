/**
 * The predicate language of Traefik's circuitBreaker and buffering (vulcand/predicate, Go
 * expression syntax): function calls with number arguments, numbers, comparisons
 * (< <= > >= == !=), `!`, `&&`, `||` and parentheses, e.g.
 * `NetworkErrorRatio() > 0.5 || LatencyAtQuantileMS(50.0) > 100`. The functions are the
 * caller's (circuit breaker metrics, buffering attempt facts). Parsed once, at compile time for
 * the diagnostic and when the middleware is built; evaluation is a closure over the tree.
 * Hand-written: a forty-line recursive descent beats pulling in a general expression engine for
 * a grammar this small, and the errors can name the exact place.
 *
 * @module
 */

export type Value = number | boolean

/** A function the expression may call: how many arguments, and its value from them. */
export interface FunctionSpec<C> {
  args: number
  returns: 'number' | 'boolean'
  make(args: number[]): (context: C) => Value
}

export type Predicate<C> = (context: C) => boolean

interface Node<C> {
  type: 'number' | 'boolean'
  eval: (context: C) => Value
}

const TOKEN = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||<=|>=|==|!=|[<>()!,-]))/y

/** Throws an Error naming the position and what was expected. */
export function parsePredicate<C>(text: string, functions: Record<string, FunctionSpec<C>>): Predicate<C> {
  const tokens: Array<{ kind: 'num' | 'ident' | 'op'; text: string; at: number }> = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex
    const m = TOKEN.exec(text)
    if (!m) {
      if (text.slice(at).trim() === '') break
      throw new Error(`unexpected ${JSON.stringify(text.slice(at).trim()[0])} at ${at + 1 + (text.slice(at).length - text.slice(at).trimStart().length)}`)
    }
    tokens.push(m[1] ? { kind: 'num', text: m[1], at } : m[2] ? { kind: 'ident', text: m[2], at } : { kind: 'op', text: m[3]!, at })
  }
  if (tokens.length === 0) throw new Error('empty expression')
  let i = 0
  const peek = () => tokens[i]
  const fail = (what: string): never => {
    const t = tokens[i]
    throw new Error(t ? `expected ${what} at ${t.at + 1}, found ${JSON.stringify(t.text)}` : `expected ${what} at the end`)
  }
  const accept = (op: string) => (peek()?.kind === 'op' && peek()!.text === op ? (i++, true) : false)
  const bool = (n: Node<C>, op: string): Node<C> => (n.type === 'boolean' ? n : fail(`a condition around ${op}`))

  const or = (): Node<C> => {
    let left = and()
    while (accept('||')) {
      const [l, r] = [bool(left, '||'), bool(and(), '||')]
      left = { type: 'boolean', eval: (c) => (l.eval(c) as boolean) || (r.eval(c) as boolean) }
    }
    return left
  }
  const and = (): Node<C> => {
    let left = comparison()
    while (accept('&&')) {
      const [l, r] = [bool(left, '&&'), bool(comparison(), '&&')]
      left = { type: 'boolean', eval: (c) => (l.eval(c) as boolean) && (r.eval(c) as boolean) }
    }
    return left
  }
  const comparison = (): Node<C> => {
    const left = unary()
    const t = peek()
    if (t?.kind !== 'op' || !['<', '<=', '>', '>=', '==', '!='].includes(t.text)) return left
    i++
    const right = unary()
    if (left.type !== 'number' || right.type !== 'number') throw new Error(`${t.text} at ${t.at + 1} compares numbers only`)
    const compare = COMPARE[t.text]!
    return { type: 'boolean', eval: (c) => compare(left.eval(c) as number, right.eval(c) as number) }
  }
  const unary = (): Node<C> => {
    if (accept('!')) {
      const inner = bool(unary(), '!')
      return { type: 'boolean', eval: (c) => !inner.eval(c) }
    }
    return primary()
  }
  const primary = (): Node<C> => {
    const t = peek()
    if (!t) return fail('a value')
    if (t.kind === 'num') {
      i++
      const n = Number(t.text)
      return { type: 'number', eval: () => n }
    }
    if (accept('(')) {
      const inner = or()
      if (!accept(')')) fail('")"')
      return inner
    }
    if (t.kind !== 'ident') return fail('a value')
    i++
    const spec = functions[t.text]
    if (!spec) throw new Error(`unsupported function ${JSON.stringify(t.text)} at ${t.at + 1} (known: ${Object.keys(functions).join(', ')})`)
    if (!accept('(')) fail(`"(" after ${t.text}`)
    const args: number[] = []
    if (!accept(')')) {
      for (;;) {
        const sign = accept('-') ? -1 : 1
        const a = peek()
        if (a?.kind !== 'num') fail(`a number argument of ${t.text}`)
        i++
        args.push(sign * Number(a!.text))
        if (accept(')')) break
        if (!accept(',')) fail(`"," or ")" in ${t.text}()`)
      }
    }
    if (args.length !== spec.args) throw new Error(`${t.text} takes ${spec.args} argument(s), got ${args.length}`)
    return { type: spec.returns, eval: spec.make(args) }
  }

  const root = or()
  if (i < tokens.length) fail('the end of the expression')
  if (root.type !== 'boolean') throw new Error('the expression must be a condition (a comparison), not a number')
  return root.eval as Predicate<C>
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
}
