// The test API server's schema handling against Kubernetes' documented behaviour, with the cases
// of the CustomResourceDefinition docs (kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/
// custom-resource-definitions: validation, defaulting, pruning, validation rules), and against the
// compiler's own validator (ajv) on Traefik's CRDs: two implementations that must refuse the same
// objects, so a bug in either shows.
import { describe, expect, it } from 'vitest'
import { defaultValidator } from '../../../../control-plane/compiler/validate/validate.ts'
import { admit } from '../admission.ts'
import { ResourceRegistry, typesOfCrd, type CrdObject } from '../resources.ts'
import { traefikCrds } from '../server.ts'
import type { StoreError } from '../store.ts'
import { applyDefaults, prune, validate, type Schema } from './structural.ts'

// The docs' CronTab, with their validation and defaulting schema.
const CRONTAB: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$', default: '5 0 * * *' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
      },
    },
  },
}

describe('structural schemas, as the CRD docs describe them', () => {
  it("validation: the docs' invalid CronTab is refused for its cronSpec and replicas", () => {
    const errors = validate({ spec: { cronSpec: '* * * *', image: 'my-awesome-cron-image', replicas: 15 } }, CRONTAB)
    expect(errors.map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match \'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$\'',
      'spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10',
    ])
    expect(validate({ spec: { cronSpec: '* * * * */5', image: 'x', replicas: 5 } }, CRONTAB)).toEqual([])
  })

  it('defaulting: absent fields get their defaults, present ones are kept', () => {
    const obj = { spec: { image: 'x' } }
    applyDefaults(obj, CRONTAB)
    expect(obj.spec).toEqual({ image: 'x', cronSpec: '5 0 * * *', replicas: 1 })
    const given = { spec: { replicas: 3 } }
    applyDefaults(given, CRONTAB)
    expect(given.spec.replicas).toBe(3)
  })

  it('pruning: unknown fields are dropped (someRandomField), unless x-kubernetes-preserve-unknown-fields', () => {
    const obj = {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'x', someRandomField: 1 },
      spec: { cronSpec: '* * * * */5', someRandomField: 42 },
    }
    expect(prune(obj, CRONTAB).sort()).toEqual(['metadata.someRandomField', 'spec.someRandomField'])
    expect(obj.spec).toEqual({ cronSpec: '* * * * */5' })
    const open = { json: { anything: { goes: true } } }
    expect(prune(open, { type: 'object', properties: { json: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }, '', false)).toEqual([])
    expect(open.json.anything.goes).toBe(true)
  })

  it("validation rules (CEL): the docs' replicas bounds, messages, fieldPath, and transition rules", () => {
    const schema: Schema = {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.minReplicas <= self.replicas', message: 'replicas should be greater than or equal to minReplicas' },
        { rule: 'self.replicas <= self.maxReplicas', fieldPath: '.replicas' },
      ],
      properties: { minReplicas: { type: 'integer' }, replicas: { type: 'integer' }, maxReplicas: { type: 'integer' } },
    }
    expect(validate({ minReplicas: 1, replicas: 2, maxReplicas: 3 }, schema, 'spec')).toEqual([])
    expect(validate({ minReplicas: 3, replicas: 5, maxReplicas: 4 }, schema, 'spec').map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'spec.replicas: Invalid value: "object": failed rule: self.replicas <= self.maxReplicas',
    ])
    expect(validate({ minReplicas: 3, replicas: 2, maxReplicas: 4 }, schema, 'spec').map((e) => e.detail)).toEqual([
      'Invalid value: "object": replicas should be greater than or equal to minReplicas',
    ])
    // A transition rule (oldSelf) applies to updates only.
    const immutable: Schema = { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'Value is immutable' }] }
    expect(validate('b', immutable, 'spec.name')).toEqual([])
    expect(validate('b', immutable, 'spec.name', 'a').map((e) => e.detail)).toEqual(['Invalid value: "string": Value is immutable'])
  })

  it('required fields, enums, types and nullability', () => {
    const schema: Schema = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string', enum: ['x', 'y'] }, n: { type: 'integer', nullable: true }, s: { type: 'string' } },
    }
    expect(validate({}, schema, 'spec').map((e) => `${e.type} ${e.field}: ${e.detail}`)).toEqual(['FieldValueRequired spec.a: Required value'])
    expect(validate({ a: 'z', n: null, s: null }, schema, 'spec').map((e) => `${e.field}: ${e.detail}`)).toEqual([
      'spec.a: Unsupported value: "z": supported values: "x", "y"',
      'spec.s: Invalid value: null: spec.s in body must be of type string: "null"',
    ])
    expect(validate({ a: 'x', n: 'one' }, schema, 'spec')[0]).toMatchObject({ type: 'FieldValueTypeInvalid', field: 'spec.n' })
  })
})

describe("Traefik's CRDs: the test API server and the compiler's validator refuse the same objects", () => {
  const registry = new ResourceRegistry()
  for (const crd of traefikCrds()) registry.setCrdTypes(crd.metadata!.name!, typesOfCrd(crd as unknown as CrdObject))
  const server = (obj: Record<string, unknown>) => {
    const type = registry.byKind(String(obj.kind), String(obj.apiVersion))!
    try {
      admit(type, obj, { fieldValidation: 'Ignore', allocateClusterIp: () => '', allocateNodePort: () => 0 })
      return []
    } catch (err) {
      return ((err as StoreError).details?.causes ?? []).map((c) => c.field)
    }
  }
  // The compiler reports what a real API server would have refused as warnings (file mode loads
  // manifests no API server admitted) and type errors as errors: the fields must be the same.
  const compiler = (obj: Record<string, unknown>) =>
    defaultValidator()
      .problems(obj as never)
      .map((p) => p.field)
  const ir = (spec: unknown) => ({ apiVersion: 'traefik.io/v1alpha1', kind: 'IngressRoute', metadata: { name: 'x', namespace: 'demo' }, spec })
  const mw = (spec: unknown) => ({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'x', namespace: 'demo' }, spec })
  const CASES: Array<[string, Record<string, unknown>, string[]]> = [
    ['a valid route', ir({ routes: [{ match: 'Host(`a`)', kind: 'Rule', services: [{ name: 's', port: 80 }] }] }), []],
    ['routes missing', ir({}), ['spec.routes']],
    ['a route without match', ir({ routes: [{ kind: 'Rule' }] }), ['spec.routes[0].match']],
    ['an unknown route kind', ir({ routes: [{ match: 'Host(`a`)', kind: 'Rules' }] }), ['spec.routes[0].kind']],
    ['a port of the wrong type', ir({ routes: [{ match: 'Host(`a`)', services: [{ name: 's', port: true }] }] }), ['spec.routes[0].services[0].port']],
    ['addPrefix without a leading slash (CEL)', mw({ addPrefix: { prefix: 'api' } }), ['spec.addPrefix.prefix']],
    ['addPrefix with one', mw({ addPrefix: { prefix: '/api' } }), []],
  ]
  for (const [what, obj, fields] of CASES) {
    it(what, () => {
      expect(server(structuredClone(obj)).sort()).toEqual(fields)
      expect(compiler(structuredClone(obj)).sort()).toEqual(fields)
    })
  }
})
