/**
 * Compile benchmark: `npm run bench:compile [-- --write]`.
 *
 * Every measurement runs in a fresh child process so its peak RSS is its own:
 * - "objects": the cluster built in memory (what the control plane holds from its informers),
 *   then compile() several times, median reported;
 * - "files": the cluster written as one YAML file, then what `npm run compile` does: read and
 *   parse it, then compile() once.
 * With `--write`, the result replaces the "Compile" section of docs/performance.md.
 */

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compile, type CompileResult } from '../../control-plane/compiler/index.ts'
import { loadManifests } from '../../control-plane/manifests/load.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { generateCluster, toYAML } from './generate.ts'

const { values, positionals } = benchArgs({
  name: 'bench:compile',
  usage: ['npm run bench:compile -- [--write]'],
  about:
    "Compiles 1k and 10k IngressRoutes, each measurement in a fresh process so that its peak RSS is its own: from objects in memory (the controller's case; median of several compiles) and from one YAML file (what npm run compile does).",
  positionals: true,
  flags: {
    write: { type: 'boolean', help: 'the result replaces the "Compile" section of docs/performance.md' },
    child: { type: 'string', choices: ['objects', 'file'], help: 'one measurement in this process, of SIZE objects or of FILE (what the bench spawns)' },
  },
})
const SIZES = [1_000, 10_000]
const RUNS = 5
const TARGET_MS = 1000
const TARGET_MB = 300

interface Measure {
  objects: number
  routers: number
  services: number
  middlewares: number
  loadMs: number
  /** The first compile() of the process: includes loading the CRD schemas and JIT warm-up. */
  coldMs: number
  compileMs: number
  peakRssMB: number
}

function counts(result: CompileResult, objects: number): Pick<Measure, 'objects' | 'routers' | 'services' | 'middlewares'> {
  const errors = result.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length > 0) throw new Error(`unexpected diagnostic: ${errors[0]!.message}`)
  const http = result.config.http ?? {}
  return {
    objects,
    routers: Object.keys(http.routers ?? {}).length,
    services: Object.keys(http.services ?? {}).length,
    middlewares: Object.keys(http.middlewares ?? {}).length,
  }
}

function fromObjects(size: number): Measure {
  const objects = generateCluster(size)
  const t0 = performance.now()
  let result = compile({ objects })
  const coldMs = performance.now() - t0
  // Peak RSS of holding the objects and compiling them once; the timing runs after it only add
  // garbage that a long-running process collects.
  const peakRssMB = process.resourceUsage().maxRSS / 1024
  const times: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now()
    result = compile({ objects })
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  return {
    ...counts(result, objects.length),
    loadMs: 0,
    coldMs,
    compileMs: times[Math.floor(times.length / 2)]!,
    peakRssMB,
  }
}

async function fromFile(file: string): Promise<Measure> {
  const t0 = performance.now()
  const loaded = await loadManifests([file])
  const t1 = performance.now()
  const result = compile(loaded.snapshot)
  const t2 = performance.now()
  return {
    ...counts(result, loaded.snapshot.objects.length),
    loadMs: t1 - t0,
    coldMs: t2 - t1,
    compileMs: t2 - t1,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }
}

function spawnChild(args: string[]): Measure {
  const r = spawnSync(process.execPath, [import.meta.filename, '--child', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  })
  if (r.status !== 0) throw new Error(`benchmark child ${args.join(' ')} failed with status ${r.status}`)
  return JSON.parse(r.stdout) as Measure
}

const n = (x: number) => x.toLocaleString('en')
const ms = (x: number) => x.toFixed(0)

function section(rows: Array<{ size: number; mb: number; objects: Measure; files: Measure }>): string {
  const big = rows.find((r) => r.size === 10_000)
  const met = big !== undefined && big.objects.coldMs <= TARGET_MS && big.objects.peakRssMB <= TARGET_MB
  return `## Compile

\`npm run bench:compile\` (bench/compile/run.ts), Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}.
Each measurement runs in its own process. Per IngressRoute the generated cluster has a Service, an
EndpointSlice with 3 endpoints, a Middleware and two routes (one with the middleware and a sticky
cookie, both with TLS); every tenth app routes through a weighted TraefikService.

- **objects**: the cluster in memory, as the control plane holds it from its informers;
  compile() cold (the first call of the process: loading and compiling the CRD schemas for
  validation, JIT warm-up) and warm (median of the ${RUNS} next runs). Peak RSS is the process
  after building the objects and compiling them once (Node itself and the loaded modules are
  about 90 MB of it).
- **files**: what \`npm run compile\` does: read and parse one YAML file, then compile() once
  (cold, and after the YAML parser has churned the heap).

| IngressRoutes | objects | routers / services / middlewares | compile() ms cold / warm | peak RSS MB | YAML MB | read+parse ms | compile() ms | peak RSS MB |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${n(r.size)} | ${n(r.objects.objects)} | ${n(r.objects.routers)} / ${n(r.objects.services)} / ` +
      `${n(r.objects.middlewares)} | ${ms(r.objects.coldMs)} / ${ms(r.objects.compileMs)} | ${ms(r.objects.peakRssMB)} | ` +
      `${r.mb.toFixed(1)} | ${ms(r.files.loadMs)} | ${ms(r.files.compileMs)} | ${ms(r.files.peakRssMB)} |`,
  )
  .join('\n')}

The first five columns are "objects", the last four "files".
${
  big === undefined
    ? ''
    : `Target for 10k IngressRoutes: compile() <= ${TARGET_MS} ms and <= ${TARGET_MB} MB: ` +
      `${ms(big.objects.coldMs)} ms cold (${ms(big.objects.compileMs)} ms warm) and ${ms(big.objects.peakRssMB)} MB, ` +
      `${met ? 'met' : '**not met**'}.`
}
Reading YAML costs far more than compiling it: the \`yaml\` package parses about 2-3 MB/s here,
and the one-shot \`npm run compile\` of a 15 MB file peaks above 300 MB because of it (documents
are streamed one at a time to bound memory). The control plane compiles objects, not YAML.
`
}

function replaceSection(doc: string, title: string, body: string): string {
  const start = doc.indexOf(`## ${title}\n`)
  if (start < 0) return `${doc.trimEnd()}\n\n${body}`
  const next = doc.indexOf('\n## ', start + 1)
  return doc.slice(0, start) + body.trimEnd() + '\n' + (next < 0 ? '' : `${doc.slice(next)}`)
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-compile-'))
  try {
    const rows = []
    for (const size of SIZES) {
      const file = join(dir, `cluster-${size}.yaml`)
      const yaml = toYAML(generateCluster(size))
      writeFileSync(file, yaml)
      const objects = spawnChild(['objects', String(size)])
      const files = spawnChild(['file', file])
      rows.push({ size, mb: Buffer.byteLength(yaml) / 1e6, objects, files })
    }
    const body = section(rows)
    process.stdout.write(body)
    if (values.write) {
      const path = join(import.meta.dirname, '../../docs/performance.md')
      writeFileSync(path, replaceSection(readFileSync(path, 'utf8'), 'Compile', body))
      process.stdout.write(`\nwritten to ${path}\n`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (values.child === undefined) {
  await parent()
} else {
  const arg = positionals[0]!
  const m = values.child === 'objects' ? fromObjects(count(arg, 'SIZE')) : await fromFile(arg)
  process.stdout.write(JSON.stringify(m))
}
