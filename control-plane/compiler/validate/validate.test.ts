import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CRD_FIXTURES_DIR, INTEGRATION_FIXTURES_DIR, TRAEFIK_CRDS_DIR } from '../../../test/support/traefik-data.ts'
import { parse, parseAllDocuments } from 'yaml'
import type { KubeObject } from '../snapshot/kube-types.ts'
import { DEPLOYED_CRD_FILE, loadCRDSchemas } from './load-crds.ts'
import { validateSnapshot } from './validate-snapshot.ts'
import { defaultValidator, isRejected, validateObject } from './validate.ts'

const TRAEFIK_CRD_FILE = join(TRAEFIK_CRDS_DIR, 'kubernetes-crd-definition-v1.yml')

function obj(yaml: string): KubeObject {
  return parse(yaml) as KubeObject
}

function problems(yaml: string) {
  return validateObject(obj(yaml)).map(({ field, severity, message }) => ({ field, severity, message }))
}

describe('CRD schemas', () => {
  it("the deployed copy is Traefik's (test/traefik/crds), byte for byte", () => {
    expect(readFileSync(DEPLOYED_CRD_FILE, 'utf8')).toBe(readFileSync(TRAEFIK_CRD_FILE, 'utf8'))
  })

  it('holds a schema for every HTTP kind the compiler reads', () => {
    const keys = [...loadCRDSchemas().keys()]
    for (const kind of ['IngressRoute', 'Middleware', 'TraefikService', 'TLSOption', 'TLSStore', 'ServersTransport']) {
      expect(keys).toContain(`traefik.io/v1alpha1/${kind}`)
    }
  })

  it('names the file it cannot read', () => {
    expect(() => loadCRDSchemas('/nonexistent/crds.yml')).toThrow(/\/nonexistent\/crds\.yml/)
  })
})

describe("Traefik's own fixtures", () => {
  const dirs = [CRD_FIXTURES_DIR, INTEGRATION_FIXTURES_DIR]
  const objects: Array<[string, KubeObject]> = []
  for (const dir of dirs) {
    for (const file of readdirSync(dir, { recursive: true }) as string[]) {
      if (!/\.ya?ml$/.test(file)) continue
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const o = doc.toJS({ mapAsMap: false }) as KubeObject | null
        if (o && defaultValidator().knows(o.apiVersion, o.kind)) objects.push([file, o])
      }
    }
  }

  it('are all checked (the corpus is not empty)', () => {
    expect(objects.length).toBeGreaterThan(150)
  })

  it('never lose an object to validation (warnings at most)', () => {
    const rejected = objects.map(([file, o]) => ({ file, name: o.metadata?.name, diagnostics: validateObject(o) })).filter((r) => isRejected(r.diagnostics))
    expect(rejected).toEqual([])
  })

  it('still get the warnings Kubernetes would raise on them', () => {
    const st = objects.find(([f, o]) => f === 'with_servers_transport.yml' && o.metadata?.namespace === 'foo')!
    expect(validateObject(st[1])).toContainEqual(
      expect.objectContaining({
        kind: 'ServersTransport',
        namespace: 'foo',
        name: 'test',
        field: 'spec.rootCAs[2]',
        severity: 'warning',
        message: 'RootCA cannot have both Secret and ConfigMap defined.',
      }),
    )
  })
})

describe('located problems', () => {
  const route = (service: string) => `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: r, namespace: apps }
spec:
  routes:
    - match: Host(\`a\`)
      services:
        - name: a
          port: 80
        - ${service}
`

  it('reports an int-or-string of the wrong type once, at its dotted path', () => {
    expect(problems(route('{ name: b, port: [80] }'))).toEqual([
      { field: 'spec.routes[0].services[1].port', severity: 'error', message: 'must be an integer or a string (got an array)' },
    ])
  })

  it('says which object it is about', () => {
    const [d] = validateObject(obj(route('{ name: b, port: 80, weight: "x" }')), { kind: 'IngressRoute', namespace: 'apps', name: 'r', source: 'f.yaml#1' })
    expect(d).toEqual({
      kind: 'IngressRoute',
      namespace: 'apps',
      name: 'r',
      source: 'f.yaml#1',
      field: 'spec.routes[0].services[1].weight',
      severity: 'error',
      message: 'must be an integer (got string "x")',
    })
  })

  it('rejects a value outside an enum', () => {
    expect(problems(route('{ name: b, port: 80, strategy: random }'))).toEqual([
      { field: 'spec.routes[0].services[1].strategy', severity: 'error', message: '"random" is not one of "wrr", "p2c", "hrw", "leasttime", "RoundRobin"' },
    ])
  })

  it('warns about unknown fields and keeps the object', () => {
    const diags = validateObject(obj(route('{ name: b, port: 80, prot: 81 }')))
    expect(diags.map((d) => [d.field, d.severity])).toEqual([['spec.routes[0].services[1].prot', 'warning']])
    expect(isRejected(diags)).toBe(false)
  })

  it('rejects a duration that does not match the schema pattern', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: cb }
spec: { circuitBreaker: { expression: "NetworkErrorRatio() > 0.5", checkPeriod: 1 minute } }
`),
    ).toEqual([
      {
        field: 'spec.circuitBreaker.checkPeriod',
        severity: 'error',
        message: '"1 minute" does not match ^([0-9]+(ns|us|µs|ms|s|m|h)?)+$',
      },
    ])
  })

  it('accepts an integer where a duration may be a number of seconds', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: cb }
spec: { circuitBreaker: { expression: "NetworkErrorRatio() > 0.5", checkPeriod: 60 } }
`),
    ).toEqual([])
  })

  it('quotes map keys that are not identifiers, so they are not mistaken for indexes', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: e }
spec:
  errors:
    status: ["418"]
    statusRewrites: { "418": teapot }
    service: { name: s, port: 80 }
`),
    ).toEqual([{ field: 'spec.errors.statusRewrites["418"]', severity: 'error', message: 'must be an integer (got string "teapot")' }])
  })

  it('evaluates the CEL rules of the schema', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: p }
spec: { addPrefix: { prefix: api } }
`),
    ).toEqual([{ field: 'spec.addPrefix.prefix', severity: 'warning', message: "must start with a '/'" }])
  })

  it('warns about a missing required field', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default }
spec: { defaultCertificate: {} }
`),
    ).toEqual([{ field: 'spec.defaultCertificate.secretName', severity: 'warning', message: 'required by the CRD schema but missing' }])
  })

  it('treats null fields as unset, as the API server prunes them', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: r }
spec:
  tls:
  routes: [{ match: "Host(\`a\`)", services: [{ name: a, port: 80 }] }]
`),
    ).toEqual([])
  })

  it('applies the API server name rules', () => {
    expect(
      problems(`
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: My_Option, namespace: Bad.NS }
spec: {}
`),
    ).toEqual([
      { field: 'metadata.name', severity: 'error', message: expect.stringContaining('"My_Option" is not a valid name') },
      { field: 'metadata.namespace', severity: 'error', message: '"Bad.NS" is not a valid namespace name' },
    ])
  })

  it('warns about a Middleware with several types or none', () => {
    const two = problems(`
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: m }
spec: { addPrefix: { prefix: /a }, stripPrefix: { prefixes: [/b] } }
`)
    expect(two).toEqual([{ field: 'spec', severity: 'warning', message: expect.stringContaining('several middleware types are set (addPrefix, stripPrefix)') }])
    const none = problems('{ apiVersion: traefik.io/v1alpha1, kind: Middleware, metadata: { name: m }, spec: {} }')
    expect(none).toEqual([{ field: 'spec', severity: 'warning', message: expect.stringContaining('no middleware type is set') }])
  })

  it('has nothing to say about kinds it has no schema for', () => {
    expect(problems('{ apiVersion: v1, kind: Service, metadata: { name: "Not_Valid" }, spec: { ports: 3 } }')).toEqual([])
    expect(problems('{ apiVersion: traefik.containo.us/v1alpha1, kind: Middleware, metadata: { name: m }, spec: 3 }')).toEqual([])
  })

  it('rejects a spec that is not an object', () => {
    expect(problems('{ apiVersion: traefik.io/v1alpha1, kind: Middleware, metadata: { name: m }, spec: [1] }')).toEqual([
      { field: 'spec', severity: 'error', message: 'must be an object (got an array)' },
    ])
  })
})

describe('validateSnapshot', () => {
  it('leaves out the objects Kubernetes would refuse and keeps the rest, sources included', () => {
    const good = obj('{ apiVersion: traefik.io/v1alpha1, kind: Middleware, metadata: { name: ok }, spec: { addPrefix: { prefix: api } } }')
    const bad = obj('{ apiVersion: traefik.io/v1alpha1, kind: Middleware, metadata: { name: bad, namespace: apps }, spec: { retry: { attempts: many } } }')
    const service = obj('{ apiVersion: v1, kind: Service, metadata: { name: s }, spec: { ports: nonsense } }')
    const sources = new Map([[bad, 'f.yaml:3']])
    const { snapshot, diagnostics } = validateSnapshot({ objects: [good, bad, service], sources })
    expect(snapshot.objects).toEqual([good, service])
    expect(snapshot.sources).toBe(sources)
    expect(diagnostics).toEqual([
      { kind: 'Middleware', namespace: 'default', name: 'ok', field: 'spec.addPrefix.prefix', severity: 'warning', message: "must start with a '/'" },
      {
        kind: 'Middleware',
        namespace: 'apps',
        name: 'bad',
        source: 'f.yaml:3',
        field: 'spec.retry.attempts',
        severity: 'error',
        message: 'must be an integer (got string "many"); object skipped (Kubernetes would refuse it)',
      },
    ])
  })
})
