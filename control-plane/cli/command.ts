/**
 * The runner every command line uses (npm run compile, edge, explain, diff, controller,
 * signing-key, start, apiserver and the benchmarks): each flag declared once, with its value, its
 * default, the environment variables it falls back to and one line of help; `--help` printed from
 * that declaration; the same messages for an unknown flag or a missing value; usage errors on
 * stderr with the usage lines and the command's usage exit code.
 *
 * Parsing is node:util's `parseArgs` (its tokens, so that every command words its errors alike):
 * no dependency, and every flag keeps the exact meaning it had (commander or yargs would read
 * `--no-dashboard` as the negation of a `--dashboard` flag, which the controller also has).
 *
 * @module
 */
import { parseArgs } from 'node:util'

export interface Flag {
  /** `string`: the flag takes a value (`--port N`); `boolean`: it does not (`--json`). */
  readonly type: 'string' | 'boolean'
  /** What the value is, in the help: N, PATH, NAME... (string flags; `choices` show themselves). */
  readonly value?: string
  /** Repeatable: every occurrence is kept, in order (an empty list when absent). */
  readonly multiple?: boolean
  /** The only values accepted. */
  readonly choices?: readonly string[]
  /** Turns the value into what the command uses; throws (see `port`, `count`...) when it is not one. */
  readonly convert?: (value: string, flag: string) => unknown
  /** The value when the flag and its environment variables are absent: applied, and shown. */
  readonly default?: string
  /** The default when the command works it out itself (from other flags, the host...): shown only. */
  readonly defaultText?: string
  /** Environment variables read, in order, when the flag is absent. */
  readonly env?: readonly string[]
  /** One line: what the flag does. */
  readonly help: string
  /** The heading the help lists this flag under (flags without one come first). */
  readonly group?: string
}

export type Flags = Readonly<Record<string, Flag>>

export interface CommandSpec<F extends Flags> {
  /** The prefix of its error messages (`compile: ...`). */
  readonly name: string
  /** How it is run, one form a line: `npm run compile -- [flags] PATH...`. */
  readonly usage: readonly string[]
  /** What it does, a paragraph (wrapped by the help). */
  readonly about: string
  readonly flags: F
  /** Plain arguments are accepted (paths, a subcommand). */
  readonly positionals?: boolean
  /** Environment variables read that no flag stands for, with what each does. */
  readonly environment?: Readonly<Record<string, string>>
  /** Each exit status and what it means. */
  readonly exits: Readonly<Record<number, string>>
  /** The exit status of a usage error: 2 unless the command's documented codes give 2 another meaning. */
  readonly usageExit?: number
}

type Value<F extends Flag> = F extends { type: 'boolean' }
  ? boolean
  : F extends { choices: readonly (infer C)[] }
    ? C
    : F extends { convert: (value: string, flag: string) => infer T }
      ? T
      : string

/** Parsed values by flag name: booleans false and lists empty when absent; others undefined unless they have a default. */
export type Values<F extends Flags> = {
  -readonly [K in keyof F]: F[K] extends { type: 'boolean' }
    ? boolean
    : F[K] extends { multiple: true }
      ? Value<F[K]>[]
      : F[K] extends { default: string }
        ? Value<F[K]>
        : Value<F[K]> | undefined
}

export interface Parsed<F extends Flags> {
  values: Values<F>
  /** Plain arguments, those after `--` included. */
  positionals: string[]
  /** The plain arguments that came after `--` (a command may give them another role: diff's NEW_PATH). */
  afterDashDash: string[]
  help: boolean
}

/** Where a command writes: injected so that the commands run in-process in tests. */
export interface CliIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const HELP: Flag = { type: 'boolean', help: 'this text' }
const WIDTH = 100
const COLUMN = 36

export interface Command<F extends Flags> {
  readonly spec: CommandSpec<F>
  readonly usageExit: number
  /** Every flag by name, `help` included. */
  readonly flags: Readonly<Record<string, Flag>>
  /** The flags and plain arguments of argv (environment for the flags' fallbacks). Throws on a usage error. */
  parse(argv: readonly string[], env?: NodeJS.ProcessEnv): Parsed<F>
  /** The full help (`--help`). */
  help(): string
  /** Writes `name: message` and the usage on stderr; returns the usage exit status. */
  usageError(io: CliIO, message: string): number
  /**
   * Parses argv and runs the command: `--help` prints the help (exit 0); a parse error, or an error
   * thrown by `interpret` (which turns the values into the command's arguments), is a usage error.
   */
  run<A>(argv: readonly string[], io: CliIO, interpret: (parsed: Parsed<F>) => A, body: (args: A) => number | Promise<number>): Promise<number>
}

export function defineCommand<const F extends Flags>(spec: CommandSpec<F>): Command<F> {
  // `help` after the command's own flags without a group, before the groups (helpText).
  const flags: Record<string, Flag> = { ...spec.flags, help: HELP }
  const usageExit = spec.usageExit ?? 2
  const command: Command<F> = {
    spec,
    usageExit,
    flags,
    parse: (argv, env = process.env) => parse(spec, flags, argv, env),
    help: () => helpText(spec, flags),
    usageError(io, message) {
      io.stderr(`${spec.name}: ${message}\n${usageText(spec)}`)
      return usageExit
    },
    async run(argv, io, interpret, body) {
      let args
      try {
        const parsed = command.parse(argv)
        if (parsed.help) {
          io.stdout(command.help())
          return 0
        }
        args = interpret(parsed)
      } catch (err) {
        return command.usageError(io, (err as Error).message)
      }
      return body(args)
    },
  }
  return command
}

function parse<F extends Flags>(spec: CommandSpec<F>, flags: Record<string, Flag>, argv: readonly string[], env: NodeJS.ProcessEnv): Parsed<F> {
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type, ...(f.multiple ? { multiple: true } : {}) }]))
  // Not strict: the tokens are checked here, so that every command words its errors the same way.
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const given = new Map<string, string[] | true>()
  const positionals: string[] = []
  const afterDashDash: string[] = []
  let dashDash = false
  for (const t of tokens) {
    if (t.kind === 'option-terminator') dashDash = true
    else if (t.kind === 'positional') {
      if (!spec.positionals) throw new Error(`unexpected argument ${JSON.stringify(t.value)}`)
      positionals.push(t.value)
      if (dashDash) afterDashDash.push(t.value)
    } else {
      const flag = Object.hasOwn(flags, t.name) ? flags[t.name] : undefined
      if (flag === undefined) throw new Error(`unknown flag ${t.rawName}`)
      if (flag.type === 'boolean') {
        if (t.value !== undefined) throw new Error(`${t.rawName} takes no value`)
        given.set(t.name, true)
        continue
      }
      // A missing value, or the next flag taken for one (`--port --json`), as parseArgs' strict mode refuses.
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-'))) {
        throw new Error(
          `${t.rawName} needs a value: ${t.rawName} ${valueText(flag)}${t.value === undefined ? '' : ` (one that starts with "-": ${t.rawName}=${t.value})`}`,
        )
      }
      const list = given.get(t.name)
      if (flag.multiple && Array.isArray(list)) list.push(t.value)
      else given.set(t.name, [t.value])
    }
  }
  const values: Record<string, unknown> = {}
  for (const [name, flag] of Object.entries(spec.flags)) {
    const seen = given.get(name)
    if (flag.type === 'boolean') {
      values[name] = seen === true
      continue
    }
    let raw = Array.isArray(seen) ? seen : undefined
    if (raw === undefined) {
      const fromEnv = flag.env?.map((e) => env[e]).find((v) => v !== undefined)
      const fallback = fromEnv ?? flag.default
      if (fallback !== undefined) raw = [fallback]
    }
    const converted = (raw ?? []).map((v) => convert(name, flag, v))
    values[name] = flag.multiple ? converted : converted[0]
  }
  return { values: values as Values<F>, positionals, afterDashDash, help: given.get('help') === true }
}

function convert(name: string, flag: Flag, value: string): unknown {
  if (flag.choices && !flag.choices.includes(value)) throw new Error(`--${name} ${value}: not ${orList(flag.choices)}`)
  return flag.convert ? flag.convert(value, `--${name}`) : value
}

function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`
}

function valueText(flag: Flag): string {
  return flag.value ?? flag.choices?.join('|') ?? 'VALUE'
}

function usageText(spec: CommandSpec<Flags>): string {
  const [first, ...rest] = spec.usage
  return `${[`usage: ${first}`, ...rest.map((u) => `       ${u}`)].join('\n')}\nevery flag: ${helpCommand(first ?? '')}\n`
}

/** `npm run compile -- [flags] PATH...` → `npm run compile -- --help`; `node FILE [flags]` → `node FILE --help`. */
function helpCommand(usage: string): string {
  const npm = usage.startsWith('npm ')
  const dashDash = usage.indexOf(' -- ')
  if (npm && dashDash >= 0) return `${usage.slice(0, dashDash)} -- --help`
  const words = usage.split(' ')
  const end = words.findIndex((w) => w.startsWith('[') || /^[A-Z]/.test(w))
  return `${words.slice(0, end < 0 ? undefined : end).join(' ')}${npm ? ' --' : ''} --help`
}

/** How a flag is shown in the help: `--name VALUE` (`-h, --help`). */
export function flagSynopsis(name: string, flag: Flag): string {
  return `${name === 'help' ? '-h, ' : ''}--${name}${flag.type === 'string' ? ` ${valueText(flag)}` : ''}`
}

function flagNotes(flag: Flag): string {
  const notes = [
    ...(flag.multiple ? ['repeatable'] : []),
    ...(flag.env?.length ? [`env ${flag.env.join(', ')}`] : []),
    ...((flag.defaultText ?? flag.default) !== undefined ? [`default ${flag.defaultText ?? (flag.default === '' ? '""' : flag.default)}`] : []),
  ]
  return notes.length ? ` [${notes.join('; ')}]` : ''
}

function helpText(spec: CommandSpec<Flags>, flags: Record<string, Flag>): string {
  const lines = [...usageText(spec).split('\n').slice(0, spec.usage.length), '', ...wrap(spec.about, WIDTH), '']
  // Flags without a group first, then -h, then each group under its heading, in declaration order.
  const entries = Object.entries(flags)
  const groups = [...new Set(entries.flatMap(([, f]) => (f.group === undefined ? [] : [f.group])))]
  lines.push('flags:')
  for (const [name, flag] of entries) if (flag.group === undefined) lines.push(...entry(flagSynopsis(name, flag), flag.help + flagNotes(flag)))
  for (const group of groups) {
    lines.push('', `${group}:`)
    for (const [name, flag] of entries) if (flag.group === group) lines.push(...entry(flagSynopsis(name, flag), flag.help + flagNotes(flag)))
  }
  if (spec.environment && Object.keys(spec.environment).length) {
    lines.push('', 'environment:')
    for (const [name, text] of Object.entries(spec.environment)) lines.push(...entry(name, text))
  }
  lines.push('', 'exit status:')
  for (const [code, text] of Object.entries(spec.exits)) lines.push(...entry(code, text, 6))
  return `${lines.join('\n')}\n`
}

/** `  NAME   text` with the text wrapped in its column (on the next line when NAME is too wide). */
function entry(name: string, text: string, column = COLUMN): string[] {
  const indent = ' '.repeat(column)
  const body = wrap(text, WIDTH - column)
  const head = `  ${name}`
  if (head.length >= column - 1) return [head, ...body.map((l) => indent + l)]
  return [head.padEnd(column) + body[0], ...body.slice(1).map((l) => indent + l)]
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) lines.push(line), (line = word)
    else line = line ? `${line} ${word}` : word
  }
  return [...lines, line]
}

/** A TCP port number (0: any free one). */
export function port(value: string, flag: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} ${value}: not a port number`)
  return n
}

/** A whole number, 0 or more. */
export function count(value: string, flag: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new Error(`${flag} ${value}: not a whole number (0 or more)`)
  return n
}

/** A number of seconds above 0. */
export function seconds(value: string, flag: string): number {
  const n = Number(value)
  if (!(n > 0)) throw new Error(`${flag} ${value}: not a positive number of seconds`)
  return n
}

/** A number, 0 or more. */
export function nonNegative(value: string, flag: string): number {
  const n = Number(value)
  if (value.trim() === '' || !(n >= 0) || !Number.isFinite(n)) throw new Error(`${flag} ${value}: not a number (0 or more)`)
  return n
}

/** A comma-separated list (an empty value is an empty list); repeated flags are joined. */
export function commaList(values: string | readonly string[] | undefined): string[] {
  return [values ?? []]
    .flat()
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
}

/** Runs a command as the process: real stdout and stderr, exit with its status once they are written. */
export async function runAsProcess(main: (argv: readonly string[], io: CliIO) => Promise<number>): Promise<never> {
  const code = await main(process.argv.slice(2), {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
  })
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))))
  process.exit(code)
}
