/**
 * `npm run compile -- [flags] PATH...`: manifests in, Traefik's dynamic configuration out as
 * JSON on stdout; one line per problem on stderr (`Kind namespace/name: field.path: message`).
 * Exit 0 when it compiled (even with skipped objects), 1 when an input cannot be read or
 * parsed, 2 on a usage error.
 *
 * @module
 */

import { parseArgs } from 'node:util'
import { compile, formatDiagnostic, type Diagnostic } from '../compiler/index.ts'
import { PROVIDER_FLAGS, PROVIDER_FLAGS_USAGE, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { loadManifests, ManifestError } from '../manifests/load.ts'
import type { CliIO } from './io.ts'

const USAGE = `usage: npm run compile -- [flags] PATH...

Reads Kubernetes manifests (YAML or JSON files, or folders of them) and prints the dynamic
configuration Traefik's Kubernetes CRD provider would build from them.

flags (Traefik's defaults when absent):
${PROVIDER_FLAGS_USAGE}
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
  const problems = [...loaded.diagnostics, ...diagnostics]
  if (problems.length > 0) io.stderr(problems.map(line).join(''))
  return 0
}

function line(d: Diagnostic): string {
  return `${formatDiagnostic(d)}${d.source === undefined ? '' : ` (${d.source})`}\n`
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  })
  process.exitCode = code
}
