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
import type { ProviderOptions } from '../compiler/options/options.ts'
import { loadManifests, ManifestError } from '../manifests/load.ts'

const USAGE = `usage: npm run compile -- [flags] PATH...

Reads Kubernetes manifests (YAML or JSON files, or folders of them) and prints the dynamic
configuration Traefik's Kubernetes CRD provider would build from them.

flags (Traefik's defaults when absent):
  --allow-cross-namespace            references across namespaces are allowed
  --allow-external-name-services     ExternalName Services may be used
  --allow-empty-services             services without endpoints are kept (no servers)
  --native-lb-by-default             use the Service ClusterIP instead of endpoints
  --ingress-class NAME               only IngressRoutes of this class
  --label-selector SELECTOR          only Traefik objects matching these labels
  --namespaces NS[,NS...]            only objects in these namespaces
  --cross-provider-namespaces NS,... namespaces allowed to use name@provider references
  --disable-cluster-scope-resources  no Node lookups (NodePort load balancing fails)
  -h, --help                         this text
`

export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** Runs the command; returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'allow-cross-namespace': { type: 'boolean' },
        'allow-external-name-services': { type: 'boolean' },
        'allow-empty-services': { type: 'boolean' },
        'native-lb-by-default': { type: 'boolean' },
        'ingress-class': { type: 'string' },
        'label-selector': { type: 'string' },
        namespaces: { type: 'string' },
        'cross-provider-namespaces': { type: 'string' },
        'disable-cluster-scope-resources': { type: 'boolean' },
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

  const options: Partial<ProviderOptions> = {
    allowCrossNamespace: values['allow-cross-namespace'] === true,
    allowExternalNameServices: values['allow-external-name-services'] === true,
    allowEmptyServices: values['allow-empty-services'] === true,
    nativeLBByDefault: values['native-lb-by-default'] === true,
    disableClusterScopeResources: values['disable-cluster-scope-resources'] === true,
    ingressClass: values['ingress-class'] ?? '',
    labelSelector: values['label-selector'] ?? '',
    namespaces: list(values.namespaces) ?? null,
    crossProviderNamespaces: list(values['cross-provider-namespaces']) ?? null,
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
  const problems = [...loaded.diagnostics, ...diagnostics]
  if (problems.length > 0) io.stderr(problems.map(line).join(''))
  return 0
}

/** A comma-separated list; an empty value is an empty list (for `--cross-provider-namespaces=`). */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '')
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
