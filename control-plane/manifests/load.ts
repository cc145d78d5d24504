/**
 * Reads Kubernetes manifests (YAML files or folders of them; multi-document with `---`; JSON
 * is YAML too) into a compiler snapshot, remembering where each object came from.
 *
 * A file that cannot be read or parsed fails the whole load (ManifestError): half a cluster
 * would compile into a misleading configuration. A document that parses but is not a usable
 * object is a located diagnostic, and the other objects still load.
 *
 * @module
 */

import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import {
  Composer,
  LineCounter,
  Parser,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type DocumentOptions,
  type Node as YamlNode,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml'
import type { Diagnostic } from '../compiler/diagnostics/diagnostics.ts'
import type { KubeObject } from '../compiler/snapshot/kube-types.ts'
import type { Snapshot } from '../compiler/snapshot/snapshot.ts'

export class ManifestError extends Error {
  readonly path: string
  constructor(path: string, message: string) {
    super(`${path}: ${message}`)
    this.name = 'ManifestError'
    this.path = path
  }
}

export interface LoadResult {
  snapshot: Snapshot
  diagnostics: Diagnostic[]
  /** Files read, in load order. */
  files: string[]
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i

/** Loads every manifest under `paths` (folders recursively, files in name order). */
export async function loadManifests(paths: readonly string[]): Promise<LoadResult> {
  const files: string[] = []
  for (const p of paths) files.push(...(await expand(p)))
  const objects: KubeObject[] = []
  const sources = new Map<KubeObject, string>()
  const places = new Map<KubeObject, Place>()
  const diagnostics: Diagnostic[] = []
  for (const file of files) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      throw new ManifestError(file, `cannot read: ${(err as Error).message}`)
    }
    const parsed = parseManifestText(text, file)
    for (const { object, source, place } of parsed.objects) {
      objects.push(object)
      sources.set(object, source)
      if (place) places.set(object, place)
    }
    diagnostics.push(...parsed.diagnostics)
  }
  return { snapshot: { objects, sources, locate: locator(places) }, diagnostics, files }
}

async function expand(path: string): Promise<string[]> {
  let info
  try {
    info = await stat(path)
  } catch (err) {
    throw new ManifestError(path, `cannot read: ${(err as Error).message}`)
  }
  if (!info.isDirectory()) return [path]
  let entries
  try {
    entries = await readdir(path, { withFileTypes: true })
  } catch (err) {
    throw new ManifestError(path, `cannot read folder: ${(err as Error).message}`)
  }
  const out: string[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue
    const full = join(path, entry.name)
    if (entry.isDirectory()) out.push(...(await expand(full)))
    else if (MANIFEST_FILE.test(entry.name)) out.push(full)
  }
  return out
}

/**
 * YAML as kubectl reads it (go-yaml v2, YAML 1.1 scalars): `yes`/`on`/`NO` are booleans, `0777`
 * is octal, `1_000` is an integer, `<<` merges. Timestamps stay strings and `1:20` is not base
 * 60, as in go-yaml when decoding to untyped values.
 */
const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  merge: true,
  prettyErrors: false,
  customTags: (tags) => tags.filter((t) => !(typeof t === 'object' && (t.tag === 'tag:yaml.org,2002:timestamp' || t.format === 'TIME'))),
}

export interface ParsedManifest {
  objects: Array<{ object: KubeObject; source: string; place?: Place }>
  diagnostics: Diagnostic[]
}

/** Where an object's document is in its file, to find a field's line when a diagnostic asks. */
export interface Place {
  file: string
  text: string
  /** The document's range in `text`, and the line its range starts on. */
  start: number
  end: number
  line: number
  /** The object's path inside the document (`items[3]` in a List), '' for the document itself. */
  prefix: string
}

/**
 * Parses one file's text. Throws ManifestError on a YAML syntax error, with its line and column.
 * `file` only labels sources and messages.
 */
export function parseManifestText(text: string, file: string): ParsedManifest {
  const lineCounter = new LineCounter()
  const parser = new Parser(lineCounter.addNewLine)
  const composer = new Composer(YAML_OPTIONS)
  const out: ParsedManifest = { objects: [], diagnostics: [] }
  let i = 0
  // Streamed one document at a time: a 15 MB file never holds every document's AST at once.
  for (const doc of composer.compose(parser.parse(text), true, text.length)) {
    i++
    const err = doc.errors[0]
    if (err !== undefined) {
      const { line, col } = lineCounter.linePos(err.pos[0])
      throw new ManifestError(file, `line ${line}, column ${col}: ${err.message.split('\n')[0]}`)
    }
    const start = doc.contents?.range?.[0] ?? 0
    const source = `${file}:${lineCounter.linePos(start).line}`
    const value: unknown = doc.toJS({ maxAliasCount: 1000 })
    if (value === null || value === undefined) continue
    const place = { file, text, start: doc.range[0], end: doc.range[2], line: lineCounter.linePos(doc.range[0]).line }
    collect(value, source, `${file}#${i}`, '', out, place)
  }
  return out
}

/**
 * Documents parsed again to locate fields, per load at most: about 0.3 ms each, so a build where
 * every one of 10k objects has a problem (a certResolver on each IngressRoute) does not take
 * seconds more; past it, problems point at their document's first line.
 */
const MAX_REPARSED = 2000

/**
 * `locate(obj, 'spec.routes[0].match')`: `file:line` of that field's key (or item), or of its
 * closest ancestor present. The document is parsed again for it: files are not kept parsed, and
 * only objects with a diagnostic are asked about.
 */
function locator(places: ReadonlyMap<KubeObject, Place>): (obj: KubeObject, field: string) => string | undefined {
  const parsed = new Map<Place, { contents: YamlNode | null; lines: LineCounter; base: number }>()
  let reparsed = 0
  return (obj, field) => {
    const place = places.get(obj)
    if (!place) return undefined
    let doc = parsed.get(place)
    if (!doc) {
      if (++reparsed > MAX_REPARSED) return undefined
      const lines = new LineCounter()
      const text = place.text.slice(place.start, place.end)
      const d = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines })
      // Few objects have diagnostics; keep the last few documents parsed.
      if (parsed.size >= 32) parsed.delete(parsed.keys().next().value!)
      parsed.set(place, (doc = { contents: d.contents as YamlNode | null, lines, base: place.line - 1 }))
    }
    let node = doc.contents
    let at = node?.range?.[0] ?? 0
    for (const seg of pathSegments(place.prefix ? `${place.prefix}.${field}` : field)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg)
        if (!pair) break
        at = (pair.key as YamlNode | null)?.range?.[0] ?? at
        node = pair.value as YamlNode | null
      } else if (isSeq(node) && /^\d+$/.test(seg)) {
        const item = node.items[Number(seg)] as YamlNode | undefined
        if (!item) break
        at = item.range?.[0] ?? at
        node = item
      } else break
    }
    return `${place.file}:${doc.base + doc.lines.linePos(at).line}`
  }
}

/** `spec.routes[0]["a.b"]` -> ['spec', 'routes', '0', 'a.b']. */
function pathSegments(field: string): string[] {
  const out: string[] = []
  for (const m of field.matchAll(/([^.[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) out.push(m[1] ?? m[2] ?? (JSON.parse(m[3]!) as string))
  return out
}

function collect(value: unknown, source: string, docLabel: string, field: string, out: ParsedManifest, place?: Omit<Place, 'prefix'>): void {
  const problem = (f: string, message: string, obj?: Record<string, unknown>) => {
    out.diagnostics.push({
      kind: typeof obj?.kind === 'string' && obj.kind !== '' ? obj.kind : 'Document',
      namespace: '',
      name: docLabel,
      field: f,
      message,
      severity: 'error',
      source,
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem(field, `expected a Kubernetes object (a mapping), got ${describe(value)}; document skipped`)
    return
  }
  const obj = value as Record<string, unknown>
  // `kind: List` (what `kubectl get -o yaml` prints) holds its objects in items.
  if (obj.kind === 'List' && Array.isArray(obj.items)) {
    obj.items.forEach((item, j) => collect(item, source, docLabel, `${prefix(field)}items[${j}]`, out, place))
    return
  }
  const at = (f: string) => `${prefix(field)}${f}`
  if (typeof obj.kind !== 'string' || obj.kind === '') {
    problem(at('kind'), 'required (a non-empty string); document skipped', obj)
    return
  }
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') {
    problem(at('apiVersion'), 'required (a non-empty string); object skipped', obj)
    return
  }
  const meta = obj.metadata
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    problem(at('metadata'), 'required (a mapping with a name); object skipped', obj)
    return
  }
  const m = meta as Record<string, unknown>
  const hasName = typeof m.name === 'string' && m.name !== ''
  const hasGenerateName = typeof m.generateName === 'string' && m.generateName !== ''
  if (!hasName && !hasGenerateName) {
    problem(at('metadata.name'), 'required (a non-empty string); object skipped', obj)
    return
  }
  if (m.namespace !== undefined && typeof m.namespace !== 'string') {
    problem(at('metadata.namespace'), `must be a string, got ${describe(m.namespace)}; object skipped`, obj)
    return
  }
  for (const key of ['labels', 'annotations'] as const) {
    const v = m[key]
    if (v === undefined || v === null) continue
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      problem(at(`metadata.${key}`), 'must map strings to strings; object skipped', obj)
      return
    }
  }
  out.objects.push({
    object: (obj.kind === 'Secret' && obj.apiVersion === 'v1' ? withStringData(obj) : obj) as KubeObject,
    source,
    ...(place ? { place: { ...place, prefix: field } } : {}),
  })
}

/**
 * A Secret as the API server stores it: `stringData` merged into `data` (base64, stringData
 * winning), as a manifest applied with kubectl would be. The provider reads `data` only.
 */
function withStringData(secret: Record<string, unknown>): Record<string, unknown> {
  const plain = secret.stringData
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return secret
  const data: Record<string, unknown> = typeof secret.data === 'object' && secret.data !== null ? { ...(secret.data as object) } : {}
  for (const [k, v] of Object.entries(plain)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64')
  const { stringData: _, ...rest } = secret
  return { ...rest, data }
}

function prefix(field: string): string {
  return field === '' ? '' : `${field}.`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}
