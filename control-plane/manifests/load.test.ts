import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadManifests, ManifestError, parseManifestText } from './load.ts'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'manifests-'))
  await mkdir(join(dir, 'nested', 'deeper'), { recursive: true })
  await mkdir(join(dir, '.hidden'))
  await writeFile(
    join(dir, 'a.yaml'),
    [
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: web, namespace: apps}',
      '---',
      '# only a comment',
      '---',
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: s}',
    ].join('\n'),
  )
  await writeFile(join(dir, 'nested', 'b.json'), JSON.stringify({ apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'm' } }))
  await writeFile(join(dir, 'nested', 'deeper', 'c.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n')
  await writeFile(join(dir, 'notes.txt'), 'not: [a manifest')
  await writeFile(join(dir, '.hidden', 'x.yaml'), 'kind: [broken')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('loadManifests', () => {
  it('reads folders recursively in name order, skipping hidden and non-manifest files', async () => {
    const { snapshot, diagnostics, files } = await loadManifests([dir])
    expect(diagnostics).toEqual([])
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['a.yaml', join('nested', 'b.json'), join('nested', 'deeper', 'c.yml')])
    expect(snapshot.objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(['Service/web', 'Secret/s', 'Middleware/m', 'ConfigMap/c'])
  })

  it('remembers the file and line of each object', async () => {
    const { snapshot } = await loadManifests([join(dir, 'a.yaml')])
    const [service, secret] = snapshot.objects
    expect(snapshot.sources?.get(service!)).toBe(`${join(dir, 'a.yaml')}:1`)
    expect(snapshot.sources?.get(secret!)).toBe(`${join(dir, 'a.yaml')}:7`)
  })

  it('fails on a missing path', async () => {
    await expect(loadManifests([join(dir, 'missing.yaml')])).rejects.toThrow(ManifestError)
  })

  it('fails on a YAML syntax error, naming file, line and column', async () => {
    const bad = join(dir, 'bad.yaml')
    await writeFile(bad, 'apiVersion: v1\nkind: Service\nmetadata: {name: x\n')
    await expect(loadManifests([bad])).rejects.toThrow(/bad\.yaml: line \d+, column \d+/)
    await rm(bad)
  })
})

describe('parseManifestText', () => {
  it('reports documents that are not usable objects, and keeps the others', () => {
    const text = [
      '- a list',
      '---',
      'just a string',
      '---',
      'apiVersion: v1',
      'metadata: {name: nokind}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {namespace: x}',
      '---',
      'kind: Service',
      'metadata: {name: noversion}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: badlabels, labels: {a: {b: c}}}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: good}',
    ].join('\n')
    const { objects, diagnostics } = parseManifestText(text, 'f.yaml')
    expect(objects.map((o) => o.object.metadata?.name)).toEqual(['good'])
    expect(diagnostics.map((d) => `${d.kind} ${d.name} ${d.field} @${d.source}`)).toEqual([
      'Document f.yaml#1  @f.yaml:1',
      'Document f.yaml#2  @f.yaml:3',
      'Document f.yaml#3 kind @f.yaml:5',
      'Service f.yaml#4 metadata.name @f.yaml:8',
      'Service f.yaml#5 apiVersion @f.yaml:12',
      'Service f.yaml#6 metadata.labels @f.yaml:15',
    ])
    expect(diagnostics.every((d) => d.severity === 'error' && d.message.length > 0)).toBe(true)
  })

  it("merges a Secret's stringData into its data as the API server does (stringData wins)", () => {
    const { objects } = parseManifestText(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: ns}\ndata: {a: eA==, b: eQ==}\nstringData: {b: "z\\n", c: "w"}\n',
      'secret.yaml',
    )
    const secret = objects[0]!.object as Record<string, unknown>
    expect(secret.stringData).toBeUndefined()
    expect(secret.data).toEqual({ a: 'eA==', b: Buffer.from('z\n').toString('base64'), c: Buffer.from('w').toString('base64') })
  })

  it('flattens kind: List', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } },
        { apiVersion: 'v1', metadata: { name: 'b' } },
      ],
    })
    const { objects, diagnostics } = parseManifestText(text, 'list.json')
    expect(objects.map((o) => o.object.metadata?.name)).toEqual(['a'])
    expect(diagnostics.map((d) => d.field)).toEqual(['items[1].kind'])
  })

  it('supports anchors and merge keys', () => {
    const text = ['apiVersion: v1', 'kind: Service', 'metadata: {name: a, labels: &l {app: web}}', 'spec: {selector: {<<: *l, tier: front}}'].join('\n')
    const { objects } = parseManifestText(text, 'm.yaml')
    expect(objects[0]!.object.spec).toEqual({ selector: { app: 'web', tier: 'front' } })
  })

  it('rejects duplicate keys as a parse error', () => {
    expect(() => parseManifestText('a: 1\na: 2\n', 'd.yaml')).toThrow(ManifestError)
  })

  it('treats an empty file as no objects', () => {
    expect(parseManifestText('', 'e.yaml')).toEqual({ objects: [], diagnostics: [] })
  })
})

describe('YAML dialect', () => {
  it('reads scalars as kubectl does (YAML 1.1 booleans and octals, strings otherwise)', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: c, creationTimestamp: 2021-01-01T00:00:00Z}',
      'data: {a: on, b: NO, c: y, octal: 0777, under: 1_000, time: 1:20, plain: "yes"}',
    ].join('\n')
    const { objects } = parseManifestText(text, 'k.yaml')
    const obj = objects[0]!.object as { data: Record<string, unknown>; metadata: { creationTimestamp: unknown } }
    expect(obj.data).toEqual({ a: true, b: false, c: true, octal: 511, under: 1000, time: '1:20', plain: 'yes' })
    expect(obj.metadata.creationTimestamp).toBe('2021-01-01T00:00:00Z')
  })
})

describe('locate: the line of a field', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'locate-'))
    await writeFile(
      join(dir, 'a.yaml'),
      [
        'apiVersion: v1', // 1
        'kind: List', // 2
        'items:', // 3
        '  - apiVersion: traefik.io/v1alpha1', // 4
        '    kind: Middleware', // 5
        '    metadata: {name: m, namespace: d, annotations: {"a.b/c": x}}', // 6
        '    spec:', // 7
        '      headers:', // 8
        '        customRequestHeaders:', // 9
        '          X-One: "1"', // 10
        '---', // 11
        'apiVersion: traefik.io/v1alpha1', // 12
        'kind: IngressRoute', // 13
        'metadata: {name: r, namespace: d}', // 14
        'spec:', // 15
        '  routes:', // 16
        '    - match: Host(`a`)', // 17
        '      services:', // 18
        '        - name: s', // 19
      ].join('\n'),
    )
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it("points at the field's own line, or at its closest ancestor present", async () => {
    const { snapshot } = await loadManifests([dir])
    const [mw, route] = snapshot.objects
    const at = (o: unknown, f: string) => snapshot.locate!(o as never, f)!.replace(`${dir}/`, '')
    expect(at(mw, 'spec.headers.customRequestHeaders.X-One')).toBe('a.yaml:10')
    expect(at(mw, 'metadata.annotations["a.b/c"]')).toBe('a.yaml:6')
    expect(at(mw, 'spec.headers.nothere')).toBe('a.yaml:8')
    expect(at(route, 'spec.routes[0].services[0].port')).toBe('a.yaml:19')
    expect(at(route, 'spec.routes[0].match')).toBe('a.yaml:17')
    expect(at(route, '')).toBe('a.yaml:12')
  })
})
