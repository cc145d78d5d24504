import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { canonical } from '../../../test/conformance/provider-compare.ts'
import { loadCRDSchemas } from '../validate/load-crds.ts'
import { compileCase, compileYAML, providerCases } from '../../../test/support/provider-fixtures.ts'
import { CRD_FIXTURES_DIR, conformanceCases } from '../../../test/support/traefik-data.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')

const mw = (spec: string, name = 'm', namespace = 'apps') => `
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: ${name}, namespace: ${namespace} }
spec: ${spec}
---`

const secret = (name: string, data: Record<string, string>, type = '') => `
apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: apps }
${type ? `type: ${type}` : ''}
data: { ${Object.entries(data)
  .map(([k, v]) => `${k}: "${b64(v)}"`)
  .join(', ')} }
---`

function only(yaml: string, options = {}) {
  const { config, diagnostics } = compileYAML(yaml, options)
  return { middlewares: config.http!.middlewares!, services: config.http!.services!, diagnostics }
}

describe('provider-cases.json: http.middlewares and error page services', () => {
  for (const [title, c] of providerCases()) {
    it(title, async () => {
      const { config } = await compileCase(c)
      expect(canonical(config.http!.middlewares)).toEqual(canonical(c.expected.http?.middlewares ?? {}))
      const pages = (services: Record<string, unknown> = {}) => Object.fromEntries(Object.entries(services).filter(([k]) => k.endsWith('-errorpage-service')))
      expect(canonical(pages(config.http!.services))).toEqual(canonical(pages(c.expected.http?.services)))
    })
  }
})

describe('every Middleware type of the CRD', () => {
  const minimal: Record<string, unknown> = {
    addPrefix: { prefix: '/a' },
    basicAuth: { secret: 'users' },
    buffering: { maxRequestBodyBytes: 1 },
    chain: { middlewares: [{ name: 'x' }] },
    circuitBreaker: { expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5' },
    compress: {},
    contentType: { autoDetect: true },
    digestAuth: { secret: 'users' },
    encodedCharacters: { allowEncodedSlash: true },
    errors: { service: { name: 'p', kind: 'TraefikService' } },
    forwardAuth: { address: 'http://auth' },
    grpcWeb: { allowOrigins: ['*'] },
    headers: { frameDeny: true },
    inFlightReq: { amount: 1 },
    ipAllowList: { sourceRange: ['::1/128'] },
    ipWhiteList: { sourceRange: ['::1/128'] },
    passTLSClientCert: { pem: true },
    plugin: { p: { k: 'v' } },
    rateLimit: { average: 1 },
    redirectRegex: { regex: '^http://(.*)', replacement: 'https://$1' },
    redirectScheme: { scheme: 'https' },
    replacePath: { path: '/x' },
    replacePathRegex: { regex: '^/a/(.*)', replacement: '/b/$1' },
    retry: { attempts: 1 },
    stripPrefix: { prefixes: ['/a'] },
    stripPrefixRegex: { regex: ['/a[0-9]'] },
  }
  const schema = loadCRDSchemas().get('traefik.io/v1alpha1/Middleware')!.schema
  for (const type of Object.keys(schema.properties!.spec!.properties!)) {
    it(type, () => {
      expect(minimal).toHaveProperty([type])
      const yaml = `${secret('users', { users: 'u:x' })}${mw(JSON.stringify({ [type]: minimal[type] }))}`
      const { middlewares, diagnostics } = only(yaml)
      expect(Object.keys(middlewares['apps-m'] ?? {})).toEqual([type])
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([])
    })
  }
})

describe('basicAuth and digestAuth', () => {
  const unit = conformanceCases<Record<string, unknown>>('provider-unit-cases.json').createBasicAuthCredentials as {
    fixture: string
    watchedNamespaces: string[]
    cases: Array<Record<string, unknown> & { secret: string }>
  }

  for (const c of unit.cases) {
    it(`TestCreateBasicAuthCredentials: ${c.secret} (${c.note})`, () => {
      const fixture = readFileSync(join(CRD_FIXTURES_DIR, unit.fixture), 'utf8')
      const yaml = `${fixture}\n---${mw(`{ basicAuth: { secret: ${c.secret} } }`, 'auth', 'default')}`
      const { config } = compileYAML(yaml, { namespaces: unit.watchedNamespaces })
      const users = config.http!.middlewares!['default-auth']!.basicAuth!.users!
      if (c.expectedUsers) expect(users).toEqual(c.expectedUsers)
      if (c.expectedUsersLength) expect(users).toHaveLength(c.expectedUsersLength as number)
      if (c['expectedUsers[1]']) expect(users[1]).toBe(c['expectedUsers[1]'])
    })
  }

  it('reads htpasswd lines, without carriage returns or blank lines, and copies the options', () => {
    const { middlewares } = only(`${secret('users', { file: 'a:x\r\n\r\nb:y\n' })}
${mw('{ basicAuth: { secret: users, realm: shop, removeHeader: true, headerField: X-User } }')}`)
    expect(middlewares['apps-m']).toEqual({
      basicAuth: { users: ['a:x', 'b:y'], realm: 'shop', removeHeader: true, headerField: 'X-User' },
    })
  })

  it('refuses a basic-auth typed Secret for digestAuth, and Secrets with no usable credentials', () => {
    const { middlewares, diagnostics } = only(`
${secret('typed', { username: 'u', password: 'p' }, 'kubernetes.io/basic-auth')}
${secret('blank', { users: '\n\n' })}
${secret('partial', { username: 'u' }, 'kubernetes.io/basic-auth')}
${mw('{ digestAuth: { secret: typed } }', 'digest')}
${mw('{ basicAuth: { secret: blank } }', 'blank')}
${mw('{ basicAuth: { secret: partial } }', 'partial')}
${mw('{ basicAuth: {} }', 'nosecret')}
${mw('{ basicAuth: { secret: typed } }', 'basic')}`)
    expect(Object.keys(middlewares)).toEqual(['apps-basic'])
    expect(diagnostics.map((d) => [d.name, d.field, d.message])).toEqual([
      ['digest', 'spec.digestAuth.secret', 'secret apps/typed must hold exactly one key (the users file), found 2; Middleware skipped'],
      ['blank', 'spec.basicAuth.secret', 'secret apps/blank holds no credentials; Middleware skipped'],
      ['partial', 'spec.basicAuth.secret', 'secret apps/partial of type kubernetes.io/basic-auth needs both a username and a password key; Middleware skipped'],
      ['nosecret', 'spec.basicAuth.secret', 'no secret given: the credentials live in a Secret; Middleware skipped'],
    ])
  })
})

describe('forwardAuth', () => {
  it('defaults maxBodySize to -1 and keeps an explicit 0', () => {
    const { middlewares } = only(`${mw('{ forwardAuth: { address: "http://auth", authResponseHeaders: [X-User] } }', 'a')}
${mw('{ forwardAuth: { address: "http://auth", maxBodySize: 0, forwardBody: true } }', 'b')}`)
    expect(middlewares['apps-a']).toEqual({ forwardAuth: { address: 'http://auth', authResponseHeaders: ['X-User'], maxBodySize: -1 } })
    expect(middlewares['apps-b']).toEqual({ forwardAuth: { address: 'http://auth', forwardBody: true, maxBodySize: 0 } })
  })

  it('is skipped without an address or with a CA secret that cannot be read', () => {
    const { middlewares, diagnostics } = only(`${secret('two', { a: '1', b: '2' })}
${mw('{ forwardAuth: { trustForwardHeader: true } }', 'noaddr')}
${mw('{ forwardAuth: { address: "http://auth", tls: { caSecret: two } } }', 'badca')}`)
    expect(middlewares).toEqual({})
    expect(diagnostics.map((d) => d.field)).toEqual(['spec.forwardAuth.address', 'spec.forwardAuth.tls.caSecret'])
  })
})

describe('rateLimit and inFlightReq', () => {
  it('applies the defaults, reads a bare period as seconds and copies the source criterion', () => {
    const { middlewares } = only(`${mw('{ rateLimit: { average: 10 } }', 'a')}
${mw('{ rateLimit: { period: 60, burst: 0, sourceCriterion: { requestHeaderName: X-Key } } }', 'b')}
${mw('{ inFlightReq: { amount: 3, sourceCriterion: { ipStrategy: { depth: 2 }, requestHost: true } } }', 'c')}`)
    expect(middlewares).toEqual({
      'apps-a': { rateLimit: { average: 10, period: '1000000000ns', burst: 1 } },
      'apps-b': { rateLimit: { average: 0, period: '60000000000ns', burst: 0, sourceCriterion: { requestHeaderName: 'X-Key' } } },
      'apps-c': { inFlightReq: { amount: 3, sourceCriterion: { ipStrategy: { depth: 2 }, requestHost: true } } },
    })
  })

  it('gives Redis its defaults and needs both credentials in its Secret', () => {
    const { middlewares, diagnostics } = only(`${secret('creds', { username: 'u' })}
${mw('{ rateLimit: { average: 1, redis: { db: 2 } } }', 'a')}
${mw('{ rateLimit: { average: 1, redis: { secret: creds } } }', 'b')}`)
    expect(middlewares['apps-a']!.rateLimit!.redis).toEqual({
      endpoints: ['localhost:6379'],
      db: 2,
      readTimeout: '3000000000ns',
      writeTimeout: '3000000000ns',
      dialTimeout: '5000000000ns',
    })
    expect(middlewares['apps-b']).toBeUndefined()
    expect(diagnostics.map((d) => d.field)).toEqual(['spec.rateLimit.redis.secret'])
  })
})

describe('retry, circuitBreaker, compress, buffering', () => {
  it('applies Traefik defaults', () => {
    const { middlewares } = only(`${mw('{ retry: { attempts: 3 } }', 'r')}
${mw('{ retry: { attempts: 2, initialInterval: 100ms, timeout: 5, maxRequestBodyBytes: 0 } }', 'r2')}
${mw('{ circuitBreaker: { expression: "NetworkErrorRatio() > 0.3" } }', 'cb')}
${mw('{ compress: { minResponseBodyBytes: 512 } }', 'c')}
${mw('{ buffering: { maxRequestBodyBytes: 1000 } }', 'b')}`)
    expect(middlewares).toEqual({
      'apps-r': { retry: { attempts: 3, maxRequestBodyBytes: 2097152 } },
      'apps-r2': { retry: { attempts: 2, initialInterval: '100000000ns', timeout: '5000000000ns', maxRequestBodyBytes: 0 } },
      'apps-cb': {
        circuitBreaker: {
          expression: 'NetworkErrorRatio() > 0.3',
          checkPeriod: '100000000ns',
          fallbackDuration: '10000000000ns',
          recoveryDuration: '10000000000ns',
          responseCode: 503,
        },
      },
      'apps-c': { compress: { minResponseBodyBytes: 512, encodings: ['gzip', 'br', 'zstd'] } },
      'apps-b': { buffering: { maxRequestBodyBytes: 1000 } },
    })
  })

  it('skips a middleware whose duration does not parse, and only that one', () => {
    const { middlewares, diagnostics } = only(`${mw('{ retry: { attempts: 2, initialInterval: fast } }', 'bad')}
${mw('{ addPrefix: { prefix: /api } }', 'good')}`)
    expect(middlewares).toEqual({ 'apps-good': { addPrefix: { prefix: '/api' } } })
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'Middleware',
        namespace: 'apps',
        name: 'bad',
        field: 'spec.retry.initialInterval',
        severity: 'error',
      }),
    ])
  })
})

describe('types copied as they are', () => {
  it('copies every field, and the output does not alias the input', () => {
    const yaml = `${mw(`
  headers: { customRequestHeaders: { X-A: "1" }, stsSeconds: 60, accessControlAllowMethods: [GET] }
  ipAllowList: { sourceRange: [10.0.0.0/8], ipStrategy: { excludedIPs: [10.0.0.1] }, rejectStatusCode: 404 }
  redirectScheme: { scheme: https, permanent: true }
  stripPrefixRegex: { regex: ["/v[0-9]+"] }`)}`
    const { middlewares, diagnostics } = only(yaml)
    expect(middlewares['apps-m']).toEqual({
      headers: { customRequestHeaders: { 'X-A': '1' }, stsSeconds: 60, accessControlAllowMethods: ['GET'] },
      ipAllowList: { sourceRange: ['10.0.0.0/8'], ipStrategy: { excludedIPs: ['10.0.0.1'] }, rejectStatusCode: 404 },
      redirectScheme: { scheme: 'https', permanent: true },
      stripPrefixRegex: { regex: ['/v[0-9]+'] },
    })
    expect(diagnostics).toEqual([])
  })

  it('warns about the deprecated ipWhiteList and keeps it', () => {
    const { middlewares, diagnostics } = only(mw('{ ipWhiteList: { sourceRange: [127.0.0.1/32] } }'))
    expect(middlewares['apps-m']).toEqual({ ipWhiteList: { sourceRange: ['127.0.0.1/32'] } })
    expect(diagnostics.map((d) => [d.field, d.severity])).toEqual([['spec.ipWhiteList', 'warning']])
  })
})

describe('chain', () => {
  it('resolves each reference in the chain namespace', () => {
    const { middlewares } = only(mw('{ chain: { middlewares: [{ name: a.b }, { name: c@file }, { name: d, namespace: apps }] } }'))
    expect(middlewares['apps-m']).toEqual({ chain: { middlewares: ['apps-a-b', 'c@file', 'apps-d'] } })
  })

  it('is skipped when a reference crosses namespaces without permission', () => {
    const yaml = mw('{ chain: { middlewares: [{ name: x, namespace: other }, { name: y@kubernetescrd }] } }')
    const denied = only(yaml)
    expect(denied.middlewares).toEqual({})
    expect(denied.diagnostics.map((d) => d.field)).toEqual(['spec.chain.middlewares[0].namespace'])
    expect(only(yaml, { allowCrossNamespace: true }).middlewares['apps-m']).toEqual({
      chain: { middlewares: ['other-x', 'y@kubernetescrd'] },
    })
  })
})

describe('errors', () => {
  it('points at a TraefikService by name and builds no service for it', () => {
    const { middlewares, services } = only(mw('{ errors: { status: ["500-599"], service: { name: pages, kind: TraefikService }, query: "/{status}.html" } }'))
    expect(middlewares['apps-m']).toEqual({ errors: { status: ['500-599'], service: 'apps-pages', query: '/{status}.html' } })
    expect(services).toEqual({})
  })

  it('is skipped when its Service does not exist', () => {
    const { middlewares, services, diagnostics } = only(mw('{ errors: { status: ["404"], service: { name: nope, port: 80 } } }'))
    expect([middlewares, services]).toEqual([{}, {}])
    expect(diagnostics).toEqual([expect.objectContaining({ kind: 'Middleware', severity: 'error' })])
    expect(diagnostics[0]!.message).toMatch(/Middleware skipped$/)
  })
})

describe('plugin', () => {
  it('replaces secret URNs at any depth, keeps other values, and says plugins do not run here', () => {
    const { middlewares, diagnostics } = only(`${secret('keys', { token: 's3cret' })}
${mw(`
  plugin:
    demo:
      token: urn:k8s:secret:keys:token
      nested: [{ t: urn:k8s:secret:keys:token, count: 3 }, plain]
      flag: true`)}`)
    expect(middlewares['apps-m']).toEqual({
      plugin: { demo: { token: 's3cret', nested: [{ t: 's3cret', count: 3 }, 'plain'], flag: true } },
    })
    expect(diagnostics.map((d) => [d.field, d.severity])).toEqual([['spec.plugin', 'warning']])
  })

  it('is skipped on a malformed URN or a missing key', () => {
    const { middlewares, diagnostics } = only(`${secret('keys', { token: 's' })}
${mw('{ plugin: { demo: { a: "urn:k8s:secret:keys" } } }', 'short')}
${mw('{ plugin: { demo: { list: ["urn:k8s:secret:keys:nope"] } } }', 'nokey')}`)
    expect(middlewares).toEqual({})
    expect(diagnostics.map((d) => [d.field, d.message])).toEqual([
      ['spec.plugin.demo.a', 'malformed secret reference "urn:k8s:secret:keys": expected urn:k8s:secret:<name>:<key>; Middleware skipped'],
      ['spec.plugin.demo.list[0]', 'secret apps/keys has no key "nope"; Middleware skipped'],
    ])
  })
})
