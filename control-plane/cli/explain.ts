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
import { explainRequest, formatExplanation, type ExplainRequest } from '../explain/explain.ts'
import { inspectManifests, routingView, storedParts } from '../explain/inspect.ts'
import { ManifestError } from '../manifests/load.ts'
import { type CliIO, defineCommand, type Parsed, runAsProcess } from './command.ts'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from './provider-flags.ts'

export const explainCommand = defineCommand({
  name: 'explain',
  usage: ['npm run explain -- --manifests PATH... --url URL [flags]'],
  about:
    'Says which router the edge would pick for a request, and why: the chosen router and its rule first, then its middlewares and service, then the higher-priority routers that did not match and the clause that failed. The manifests are built as npm run edge builds them.',
  positionals: true,
  flags: {
    manifests: { type: 'string', value: 'PATH', multiple: true, help: 'manifest files or folders (also accepted as plain arguments)' },
    url: { type: 'string', value: 'URL', help: "the request's URL, http or https (a Host header overrides its host); required" },
    method: { type: 'string', value: 'M', defaultText: 'GET', help: "the request's method" },
    header: { type: 'string', value: "'K: V'", multiple: true, help: 'a request header' },
    'client-ip': { type: 'string', value: 'IP', defaultText: '127.0.0.1', help: "the client's address" },
    entrypoint: { type: 'string', value: 'NAME', defaultText: 'web, or websecure for an https URL', help: 'the entry point the request comes in on' },
    json: { type: 'boolean', help: 'the explanation as JSON' },
    ...PROVIDER_FLAGS,
  },
  exits: {
    0: 'a router matched',
    1: 'input error: usage, URL, unreadable manifests',
    2: 'the edge answers by itself (404 no router, 400 malformed path, 421 misdirected)',
  },
  // 2 is the edge's own answer, which scripts test for: a usage error is an input error.
  usageExit: 1,
})

/** The command's arguments from its flags; throws on a usage error. */
function explainArgs({ values, positionals }: Parsed<typeof explainCommand.spec.flags>) {
  const headers = values.header.map((h): [string, string] => {
    const colon = h.indexOf(':')
    if (colon <= 0) throw new Error(`--header ${JSON.stringify(h)}: expected 'Name: value'`)
    return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()]
  })
  const manifests = [...values.manifests, ...positionals]
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
  return { manifests, request, json: values.json, provider: providerOptionsFromFlags(values) }
}

/** The entry points `npm run edge` serves for this request: web, plus websecure for HTTPS. */
export function servedEntryPoints(request: ExplainRequest): string[] {
  const https = request.url.startsWith('https:')
  const ep = request.entryPoint ?? (https ? 'websecure' : 'web')
  return https ? [...new Set(['web', ep])] : [ep]
}

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return explainCommand.run(argv, io, explainArgs, async (args) => {
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
  })
}

if (import.meta.main) await runAsProcess(main)
