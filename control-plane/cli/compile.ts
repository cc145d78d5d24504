/**
 * `npm run compile -- [flags] PATH...`: manifests in, Traefik's dynamic configuration out as
 * JSON on stdout; one line per problem on stderr (`Kind namespace/name: field.path: message
 * (file:line)`), a full dry run: the provider's problems and everything the edge table build
 * finds (rules that do not parse, unknown matchers, missing services and middlewares, other
 * providers' names, what the edge serves differently), located at the field's own line.
 * Exit 0 when it compiled (even with skipped objects), 1 when an input cannot be read or
 * parsed, 2 on a usage error.
 *
 * @module
 */

import { parseArgs } from 'node:util'
import { compile } from '../compiler/index.ts'
import { PROVIDER_FLAGS, PROVIDER_FLAGS_USAGE, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { locateEdgeDiagnostics, problemLine, uniqueDiagnostics } from '../diagnostics/edge-located.ts'
import { loadManifests, ManifestError } from '../manifests/load.ts'
import { buildEdgeTable } from '../table/index.ts'
import type { CliIO } from './io.ts'

const USAGE = `usage: npm run compile -- [flags] PATH...

Reads Kubernetes manifests (YAML or JSON files, or folders of them) and prints the dynamic
configuration Traefik's Kubernetes CRD provider would build from them. Every problem the provider
or the edge would meet goes to stderr, one per line, with the file and line of the field.

flags (Traefik's defaults when absent):
${PROVIDER_FLAGS_USAGE}
  --target workerd|cloudflare        the runtime the edge table is checked for (default workerd)
  --entrypoint NAME                  an entry point the edge serves (repeatable; default: not checked)
  -h, --help                         this text
`

/** Runs the command; returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        ...PROVIDER_FLAGS,
        target: { type: 'string' },
        entrypoint: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (err) {
    io.stderr(`compile: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout(USAGE)
    return 0
  }
  if (positionals.length === 0) {
    io.stderr(`compile: no manifest path given\n${USAGE}`)
    return 2
  }

  const options = providerOptionsFromFlags(values)
  const target = values.target ?? 'workerd'
  if (target !== 'workerd' && target !== 'cloudflare') {
    io.stderr(`compile: --target ${target}: workerd or cloudflare\n${USAGE}`)
    return 2
  }

  let loaded
  try {
    loaded = await loadManifests(positionals)
  } catch (err) {
    if (err instanceof ManifestError) {
      io.stderr(`compile: ${err.message}\n`)
      return 1
    }
    throw err
  }
  const { config, diagnostics } = compile(loaded.snapshot, options)
  io.stdout(`${JSON.stringify(config, null, 2)}\n`)
  // The edge table's build: what the edge would refuse, or serve otherwise, of this configuration.
  const edge = buildEdgeTable(config, { target, ...(values.entrypoint?.length ? { entryPoints: values.entrypoint } : {}) })
  const problems = [...loaded.diagnostics, ...diagnostics, ...uniqueDiagnostics(locateEdgeDiagnostics(edge.diagnostics, loaded.snapshot))]
  if (problems.length > 0) io.stderr(problems.map((d) => `${problemLine(d)}\n`).join(''))
  return 0
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  })
  process.exitCode = code
}
