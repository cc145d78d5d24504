/**
 * `npm run explain -- --manifests PATH... --url URL [--method M] [--header 'K: V']...
 * [--client-ip IP] [--entrypoint NAME] [--json]`: which router the edge would pick for the request
 * and why. The manifests are built as `npm run edge` builds them (the HTTPS entry point added for
 * an https URL, as with --https-port), and the router is chosen by the edge's own muxer.
 *
 * Output: the chosen router's name and rule on the first line, then its middlewares and service,
 * then the higher-priority routers that did not match with the first clause that failed. With
 * --json, the Explanation (control-plane/explain/explain.ts) as JSON. Problems the build found go
 * to stderr, one per line.
 *
 * Exit 0 when a router matched; 2 when the edge answers by itself (404 no router matched,
 * 400 malformed path, 421 misdirected); 1 on an input error (usage, URL, unreadable manifests).
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { PROVIDER_FLAGS, PROVIDER_FLAGS_USAGE, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { explainRequest, formatExplanation, type ExplainRequest } from '../explain/explain.ts'
import { inspectManifests, routingView, storedParts } from '../explain/inspect.ts'
import { ManifestError } from '../manifests/load.ts'
import type { CliIO } from './io.ts'

const USAGE = `usage: npm run explain -- --manifests PATH... --url URL [flags]

Says which router the edge would pick for a request, and why.

flags:
  --manifests PATH...                manifest files or folders (also accepted as plain arguments)
  --url URL                          the request's URL (http or https; the Host header overrides its host)
  --method M                         default GET
  --header 'K: V'                    a request header (repeatable)
  --client-ip IP                     the client's address (default 127.0.0.1)
  --entrypoint NAME                  default web, or websecure for an https URL
  --json                             the explanation as JSON
${PROVIDER_FLAGS_USAGE}
  -h, --help                         this text

exit status: 0 a router matched; 2 the edge answers by itself (404, 400, 421); 1 input error
`

export function parseExplainArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      manifests: { type: 'string', multiple: true },
      url: { type: 'string' },
      method: { type: 'string' },
      header: { type: 'string', multiple: true },
      'client-ip': { type: 'string' },
      entrypoint: { type: 'string' },
      json: { type: 'boolean' },
      ...PROVIDER_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  })
  const headers = (values.header ?? []).map((h): [string, string] => {
    const colon = h.indexOf(':')
    if (colon <= 0) throw new Error(`--header ${JSON.stringify(h)}: expected 'Name: value'`)
    return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()]
  })
  const manifests = [...(values.manifests ?? []), ...positionals]
  if (values.help) return { help: true as const }
  if (manifests.length === 0) throw new Error('no manifest path given')
  if (values.url === undefined) throw new Error('--url is required')
  let url: URL
  try {
    url = new URL(values.url)
  } catch {
    throw new Error(`--url ${JSON.stringify(values.url)}: not an absolute URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--url ${values.url}: only http and https URLs`)
  const request: ExplainRequest = {
    url: values.url,
    headers,
    ...(values.method === undefined ? {} : { method: values.method }),
    ...(values['client-ip'] === undefined ? {} : { clientIp: values['client-ip'] }),
    ...(values.entrypoint === undefined ? {} : { entryPoint: values.entrypoint }),
  }
  return { help: false as const, manifests, request, json: values.json === true, provider: providerOptionsFromFlags(values) }
}

/** The entry points `npm run edge` serves for this request: web, plus websecure for HTTPS. */
export function servedEntryPoints(request: ExplainRequest): string[] {
  const https = request.url.startsWith('https:')
  const ep = request.entryPoint ?? (https ? 'websecure' : 'web')
  return https ? [...new Set(['web', ep])] : [ep]
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let args
  try {
    args = parseExplainArgs(argv)
  } catch (err) {
    io.stderr(`explain: ${(err as Error).message}\n${USAGE}`)
    return 1
  }
  if (args.help) {
    io.stdout(USAGE)
    return 0
  }
  let inspection
  try {
    inspection = await inspectManifests(args.manifests, { provider: args.provider, entryPoints: servedEntryPoints(args.request) })
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err
    io.stderr(`explain: ${err.message}\n`)
    return 1
  }
  for (const p of inspection.built.problems) io.stderr(`${p}\n`)
  const explanation = explainRequest(storedParts(inspection.built), routingView(inspection.built), args.request)
  io.stdout(args.json ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation))
  return explanation.outcome === 'matched' ? 0 : 2
}

if (import.meta.main) {
  process.exit(
    await main(process.argv.slice(2), {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
  )
}
