// A benchmark's command line, through the runner every command uses (control-plane/cli/command.ts):
// its flags declared once at the top of the bench, `--help` printed from them (exit 0), an unknown
// flag or a bad value refused (exit 2) before anything starts, instead of a long run with defaults.
import { type CommandSpec, count, defineCommand, type Flags, type Parsed } from '../../control-plane/cli/command.ts'

const stdio = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) }

/** The bench's flags from process.argv; exits on --help or a usage error. */
export function benchArgs<const F extends Flags>(
  spec: Omit<CommandSpec<F>, 'exits'> & Partial<Pick<CommandSpec<F>, 'exits'>>,
  argv: readonly string[] = process.argv.slice(2),
): Parsed<F> {
  const command = defineCommand<F>({ exits: { 0: 'measured and printed', 2: 'usage error' }, ...spec })
  let parsed: Parsed<F>
  try {
    parsed = command.parse(argv)
  } catch (err) {
    process.exit(command.usageError(stdio, (err as Error).message))
  }
  if (parsed.help) {
    stdio.stdout(command.help())
    process.exit(0)
  }
  return parsed
}

/** The flags of a bench that measures with wrk in interleaved runs, with its defaults. */
export function wrkRunFlags(duration: string, runs: string) {
  return {
    duration: { type: 'string', value: 'S', convert: count, default: duration, help: "each wrk run's seconds" },
    runs: { type: 'string', value: 'N', convert: count, default: runs, help: 'interleaved runs (medians)' },
  } as const
}
