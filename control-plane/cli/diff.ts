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
import { diffInspections, formatDiff, isEmptyDiff } from '../diff/diff.ts'
import { inspectManifests } from '../explain/inspect.ts'
import { ManifestError } from '../manifests/load.ts'
import { type CliIO, defineCommand, type Parsed, runAsProcess } from './command.ts'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from './provider-flags.ts'

export const diffCommand = defineCommand({
  name: 'diff',
  usage: ['npm run diff -- [flags] OLD_PATH... -- NEW_PATH...', 'npm run diff -- [flags] --from PATH... --to PATH...'],
  about:
    'Shows what changes at the edge between two sets of manifests: routers, services, middlewares, serversTransports, TLS options and certificates added, removed or changed (field by field), servers of each service, and build problems that appear or go away. Both sides are built as npm run edge builds them.',
  positionals: true,
  flags: {
    from: { type: 'string', value: 'PATH', multiple: true, help: 'the old manifests (or plain arguments before --)' },
    to: { type: 'string', value: 'PATH', multiple: true, help: 'the new manifests (or plain arguments after --)' },
    entrypoint: { type: 'string', value: 'NAME', default: 'web', help: 'the entry point the edge serves' },
    target: { type: 'string', choices: ['workerd', 'cloudflare'], default: 'workerd', help: 'the runtime the table is built for' },
    json: { type: 'boolean', help: 'the diff as JSON' },
    ...PROVIDER_FLAGS,
  },
  exits: { 0: 'the edge would not change', 1: 'the edge would change (as diff(1))', 2: 'input error: usage, unreadable manifests' },
})

/** The command's arguments from its flags; throws on a usage error. */
function diffArgs({ values, positionals, afterDashDash }: Parsed<typeof diffCommand.spec.flags>) {
  const from = [...values.from, ...positionals.slice(0, positionals.length - afterDashDash.length)]
  const to = [...values.to, ...afterDashDash]
  if (from.length === 0 || to.length === 0) throw new Error('give the old and the new manifests (OLD... -- NEW..., or --from and --to)')
  return {
    from,
    to,
    json: values.json,
    options: { provider: providerOptionsFromFlags(values), entryPoints: [values.entrypoint], target: values.target },
  }
}

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return diffCommand.run(argv, io, diffArgs, async (args) => {
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
  })
}

if (import.meta.main) await runAsProcess(main)
