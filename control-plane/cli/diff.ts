/**
 * `npm run diff -- [flags] OLD_PATH... -- NEW_PATH...` (or `--from PATH... --to PATH...`): what
 * changes at the edge when the manifests in OLD_PATH are replaced by those in NEW_PATH, before
 * applying them. Both sides are built as `npm run edge` builds them.
 *
 * Exit 0 when the edge would not change, 1 when it would (as diff(1)), 2 on an input error
 * (usage, unreadable manifests).
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { PROVIDER_FLAGS, PROVIDER_FLAGS_USAGE, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { diffInspections, formatDiff, isEmptyDiff } from '../diff/diff.ts'
import { inspectManifests } from '../explain/inspect.ts'
import { ManifestError } from '../manifests/load.ts'
import type { CliIO } from './io.ts'

const USAGE = `usage: npm run diff -- [flags] OLD_PATH... -- NEW_PATH...
       npm run diff -- [flags] --from PATH... --to PATH...

Shows what changes at the edge between two sets of manifests: routers, services, middlewares,
serversTransports, TLS options and certificates added, removed or changed (field by field),
servers of each service, and build problems that appear or go away.

flags:
  --from PATH / --to PATH            the old and new manifests (repeatable)
  --entrypoint NAME                  the entry point the edge serves (default web)
  --target workerd|cloudflare        the runtime the table is built for (default workerd)
  --json                             the diff as JSON
${PROVIDER_FLAGS_USAGE}
  -h, --help                         this text

exit status: 0 no change; 1 the edge would change; 2 input error
`

export function parseDiffArgs(argv: readonly string[]) {
  const split = argv.indexOf('--')
  const head = split < 0 ? [...argv] : argv.slice(0, split)
  const { values, positionals } = parseArgs({
    args: head,
    allowPositionals: true,
    strict: true,
    options: {
      from: { type: 'string', multiple: true },
      to: { type: 'string', multiple: true },
      entrypoint: { type: 'string' },
      target: { type: 'string' },
      json: { type: 'boolean' },
      ...PROVIDER_FLAGS,
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) return { help: true as const }
  const from = [...(values.from ?? []), ...positionals]
  const to = [...(values.to ?? []), ...(split < 0 ? [] : argv.slice(split + 1))]
  if (from.length === 0 || to.length === 0) throw new Error('give the old and the new manifests (OLD... -- NEW..., or --from and --to)')
  const target = values.target ?? 'workerd'
  if (target !== 'workerd' && target !== 'cloudflare') throw new Error(`--target ${target}: workerd or cloudflare`)
  return {
    help: false as const,
    from,
    to,
    json: values.json === true,
    options: { provider: providerOptionsFromFlags(values), entryPoints: [values.entrypoint ?? 'web'], target: target as 'workerd' | 'cloudflare' },
  }
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let args
  try {
    args = parseDiffArgs(argv)
  } catch (err) {
    io.stderr(`diff: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    io.stdout(USAGE)
    return 0
  }
  let before, after
  try {
    ;[before, after] = await Promise.all([inspectManifests(args.from, args.options), inspectManifests(args.to, args.options)])
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err
    io.stderr(`diff: ${err.message}\n`)
    return 2
  }
  const diff = diffInspections(before, after)
  io.stdout(args.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff))
  return isEmptyDiff(diff) ? 0 : 1
}

if (import.meta.main) {
  process.exit(
    await main(process.argv.slice(2), {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
  )
}
