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

import { compile } from '../compiler/index.ts'
import { locateEdgeDiagnostics, problemLine, uniqueDiagnostics } from '../diagnostics/edge-located.ts'
import { loadManifests, ManifestError } from '../manifests/load.ts'
import { buildEdgeTable } from '../table/index.ts'
import { type CliIO, defineCommand, runAsProcess } from './command.ts'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from './provider-flags.ts'

export const compileCommand = defineCommand({
  name: 'compile',
  usage: ['npm run compile -- [flags] PATH...'],
  about:
    "Reads Kubernetes manifests (YAML or JSON files, or folders of them) and prints the dynamic configuration Traefik's Kubernetes CRD provider would build from them. Every problem the provider or the edge would meet goes to stderr, one per line, with the file and line of the field.",
  positionals: true,
  flags: {
    ...PROVIDER_FLAGS,
    target: { type: 'string', choices: ['workerd', 'cloudflare'], default: 'workerd', help: 'the runtime the edge table is checked for' },
    entrypoint: { type: 'string', value: 'NAME', multiple: true, defaultText: 'not checked', help: 'an entry point the edge serves' },
  },
  exits: { 0: 'compiled (even when some objects were skipped)', 1: 'an input cannot be read or parsed', 2: 'usage error' },
})

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return compileCommand.run(
    argv,
    io,
    ({ values, positionals }) => {
      if (positionals.length === 0) throw new Error('no manifest path given')
      return { values, paths: positionals }
    },
    async ({ values, paths }) => {
      let loaded
      try {
        loaded = await loadManifests(paths)
      } catch (err) {
        if (err instanceof ManifestError) {
          io.stderr(`compile: ${err.message}\n`)
          return 1
        }
        throw err
      }
      const { config, diagnostics } = compile(loaded.snapshot, providerOptionsFromFlags(values))
      io.stdout(`${JSON.stringify(config, null, 2)}\n`)
      // The edge table's build: what the edge would refuse, or serve otherwise, of this configuration.
      const edge = buildEdgeTable(config, { target: values.target, ...(values.entrypoint.length ? { entryPoints: values.entrypoint } : {}) })
      const problems = [...loaded.diagnostics, ...diagnostics, ...uniqueDiagnostics(locateEdgeDiagnostics(edge.diagnostics, loaded.snapshot))]
      if (problems.length > 0) io.stderr(problems.map((d) => `${problemLine(d)}\n`).join(''))
      return 0
    },
  )
}

if (import.meta.main) await runAsProcess(main)
