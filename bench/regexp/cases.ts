/**
 * The cases of the regexp benchmark (./run.ts, ./instructions.ts): patterns and inputs as route
 * authors and clients write them, and the engines that can run each.
 *
 * @module
 */
import { compileGoRegexp } from '../../shared/rules/regexp/compile.ts'
import { compileLinear } from '../../shared/rules/regexp/linear.ts'
import { compileGoSubmatch } from '../../shared/rules/regexp/submatch.ts'

interface Matcher {
  test(input: string): boolean
}

const ENGINES: Record<string, (pattern: string) => Matcher> = {
  native: (pattern) => {
    const re = compileGoRegexp(pattern)
    if (re.engine !== 'js') throw new Error(`${pattern} does not run as a native RegExp`)
    return re
  },
  re2js: (pattern) => compileLinear(pattern),
}

/** [name, pattern, input]: backtrack-safe patterns, which both engines can run. */
export const MATCH_CASES: Array<[string, string, string]> = [
  ['host', '^tenant12-[a-z0-9]+\\.apps\\.example\\.net$', 'tenant12-a1b2c3.apps.example.net'],
  ['host-miss', '^tenant12-[a-z0-9]+\\.apps\\.example\\.net$', 'svc4.example.com'],
  ['path', '^/api/v[0-9]+/users/[0-9]+$', '/api/v2/users/12345'],
  ['user-agent', '(?i)^(curl|wget|python-requests)/', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36'],
  ['origin', '^https://[a-z0-9-]+\\.example\\.com$', 'https://app-7.example.com'],
]

/** [name, pattern, input, template]: the rewriting middlewares' searches (template '' = exec only). */
export const REWRITE_CASES: Array<[string, string, string, string]> = [
  ['redirectRegex', '^https?://(www\\.)?example\\.com/(.*)', 'https://www.example.com/docs/getting-started?x=1', 'https://example.org/${2}'],
  ['replacePathRegex', '^/api/v1/(.*)', '/api/v1/users/42/orders', '/v2/$1'],
  ['stripPrefixRegex', '/foo/[a-z0-9]+/[0-9]+/', '/foo/abc/123/bar/baz', ''],
]

/** [name, pattern, input]: patterns that are not backtrack-safe (re2js only). */
export const LINEAR_CASES: Array<[string, string, string]> = [
  ['unanchored', '[a-z]+\\.json', '/api/v2/users/12345/profile.json'],
  ['dot-plus-suffix', '^.+\\.example\\.com$', 'deep.sub.domain.example.com'],
  ['path-8k-miss', '^/static/.*\\.(css|js)$', `/static/${'a/'.repeat(4000)}x.png`],
]

/** One operation of a case on an engine (the pattern compiled once), or a compilation for `compile:` cases. */
export function operation(name: string, engine: string): () => unknown {
  const match = MATCH_CASES.find(([n]) => n === name)
  if (match) {
    const compile = ENGINES[engine]!
    const re = compile(match[1])
    return () => re.test(match[2])
  }
  const compile = name.startsWith('compile:') ? MATCH_CASES.find(([n]) => `compile:${n}` === name) : undefined
  if (compile) {
    // A different pattern each time, so that no engine can cache the last one.
    let k = 0
    return () => ENGINES[engine]!(`${compile[1]}${'x?'.repeat(k++ % 8)}`)
  }
  const linear = LINEAR_CASES.find(([n]) => n === name)
  if (linear && engine === 're2js') {
    const re = compileLinear(linear[1])
    return () => re.test(linear[2])
  }
  const rewrite = REWRITE_CASES.find(([n]) => n === name)
  if (rewrite && engine === 're2js') {
    const re = compileGoSubmatch(rewrite[1])
    return rewrite[3] ? () => re.replaceAll(rewrite[2], rewrite[3]) : () => re.exec(rewrite[2])
  }
  throw new Error(`no case ${name} on ${engine}`)
}

/** Rows of the tables: each case with the engines it runs on. */
export const ROWS: Array<[string, string[]]> = [
  ...MATCH_CASES.map(([n]): [string, string[]] => [n, ['native', 're2js']]),
  ...MATCH_CASES.map(([n]): [string, string[]] => [`compile:${n}`, ['native', 're2js']]),
  ...LINEAR_CASES.map(([n]): [string, string[]] => [n, ['re2js']]),
  ...REWRITE_CASES.map(([n]): [string, string[]] => [n, ['re2js']]),
]
