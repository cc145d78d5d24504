// Every command explains itself, as a user runs it: `--help` through its real npm script lists
// each declared flag with its value, default and environment; an unknown flag is refused with the
// command's usage exit code and its usage lines; and README's command list names only flags that
// the command declares. The commands are every package.json script that runs one of our files,
// and every `node scripts/run.mjs node FILE` line of README's list.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Command, type Flags, flagSynopsis } from '../../control-plane/cli/command.ts'
import { compileCommand } from '../../control-plane/cli/compile.ts'
import { controllerCommand } from '../../control-plane/cli/controller.ts'
import { diffCommand } from '../../control-plane/cli/diff.ts'
import { edgeCommand } from '../../control-plane/cli/edge.ts'
import { explainCommand } from '../../control-plane/cli/explain.ts'
import { signingKeyCommand } from '../../control-plane/cli/signing-key.ts'
import { startCommand } from '../../control-plane/cli/start.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { apiserverCommand } from '../support/apiserver/cli.ts'
import { type CliRun, runCommand } from '../support/cli.ts'

/** The declarations that can be imported without running the command (the benches run at load). */
const DECLARED: Record<string, Command<Flags>> = {
  'control-plane/cli/compile.ts': compileCommand,
  'control-plane/cli/controller.ts': controllerCommand,
  'control-plane/cli/diff.ts': diffCommand,
  'control-plane/cli/edge.ts': edgeCommand,
  'control-plane/cli/explain.ts': explainCommand,
  'control-plane/cli/signing-key.ts': signingKeyCommand,
  'control-plane/cli/start.ts': startCommand,
  'test/support/apiserver/cli.ts': apiserverCommand,
}

/**
 * Environment variables that code a command imports reads, but only in parts that command never
 * runs: left out of its help on purpose.
 */
const NOT_RUN: Record<string, string[]> = {
  // The beacon's token is the controller's (publish/beacon.ts beaconTokenFromEnv); the edge publishes locally.
  'control-plane/cli/edge.ts': ['TABLE_BEACON_TOKEN', 'TABLE_BEACON_TOKEN_FILE'],
  // npm start's dashboard asks for no token (npm run edge's --dashboard-token-file reads those).
  'control-plane/cli/start.ts': ['TABLE_BEACON_TOKEN', 'TABLE_BEACON_TOKEN_FILE', 'DASHBOARD_TOKEN_FILE', 'DASHBOARD_TOKEN'],
  // They build workerd's configuration types but never start workerd.
  'control-plane/cli/explain.ts': ['WORKERD_V8_FLAGS'],
  'control-plane/cli/diff.ts': ['WORKERD_V8_FLAGS'],
  'control-plane/cli/controller.ts': ['WORKERD_V8_FLAGS'],
}

/** `env.NAME` and `process.env.NAME` in the Node-side files a command's file imports, transitively. */
function environmentRead(file: string): Set<string> {
  const seen = new Set([file])
  const names = new Set<string>()
  for (const queue = [file]; queue.length > 0; ) {
    const from = queue.pop()!
    const text = readFileSync(join(REPO_ROOT, from), 'utf8')
    for (const m of text.matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]!)
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+\.ts)'/g)) {
      const to = relative(REPO_ROOT, join(REPO_ROOT, dirname(from), m[1]!))
      if (/^(control-plane|test\/support)\//.test(to) && !seen.has(to) && existsSync(join(REPO_ROOT, to))) seen.add(to), queue.push(to)
    }
  }
  return names
}

interface Entry {
  /** How a user runs it, up to where its own arguments start. */
  run: string[]
  file: string
}

const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
/** `node scripts/run.mjs node [node flags] FILE.ts` → FILE.ts (scripts/ are the project's tooling, not commands). */
const fileOf = (command: string) => /^node scripts\/run\.mjs node (?:--\S+ )*((?!scripts\/)\S+\.ts)$/.exec(command)?.[1]
const NPM: Entry[] = Object.entries(scripts).flatMap(([name, command]) => {
  const file = fileOf(command)
  return file ? [{ run: ['npm', 'run', '-s', name, '--'], file }] : []
})

/** README's command list: each command with its flags as written, continuation lines joined and comments dropped. */
function readmeCommands(): Array<{ line: string; file: string; flags: string[] }> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
  const block = /Other commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) throw new Error("README.md: no ```sh block after 'Other commands'")
  const commands: string[] = []
  let continued = false
  for (const raw of block.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd()
    if (continued) commands[commands.length - 1] += ` ${line.trim().replace(/\\$/, '')}`
    else if (/^(npm|node) /.test(line)) commands.push(line.replace(/\\$/, ''))
    continued = line.endsWith('\\')
  }
  return commands.flatMap((line) => {
    const npm = /^npm (?:run (?:-s )?(\S+)|(start))/.exec(line)
    const script = npm ? (npm[1] ?? npm[2]!) : undefined
    const file = script === undefined ? /^node scripts\/run\.mjs node (?:--\S+ )*(\S+\.ts)/.exec(line)?.[1] : fileOf(scripts[script] ?? '')
    if (file === undefined) return [] // not one of ours (npm run wrangler)
    // The command's own arguments: after `--` for npm, after the file for node.
    const own = script === undefined ? line.slice(line.indexOf(file) + file.length) : line.slice(Math.max(0, line.indexOf('--')))
    return [{ line, file, flags: [...own.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!) }]
  })
}

const README = readmeCommands()
const COMMANDS: Entry[] = [
  ...NPM,
  ...README.filter((c) => c.line.startsWith('node ')).map((c) => ({ run: ['node', 'scripts/run.mjs', 'node', c.file], file: c.file })),
]

/** A few at a time: the machine has two cores and other tests run beside this one. */
async function eachLimited<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await f(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/** The help's entries (`  --flag VALUE   text` and its continuation lines) by flag name, whitespace folded. */
function helpEntries(help: string): Map<string, string> {
  const entries = new Map<string, string>()
  let current: string | undefined
  for (const line of help.split('\n')) {
    const start = /^ {2}(?:-h, )?--([a-z][a-z0-9-]*)/.exec(line)
    if (start) entries.set((current = start[1]!), line.trim())
    else if (current !== undefined && /^ {3,}\S/.test(line)) entries.set(current, `${entries.get(current)} ${line.trim()}`)
    else current = undefined
  }
  return entries
}

const fold = (text: string) => text.replace(/\s+/g, ' ').trim()

describe('every command explains itself', () => {
  /** Each command's `--help`, run once through its npm script (or README's node line). */
  const helps = new Map<Entry, CliRun>()
  beforeAll(async () => {
    const results = await eachLimited(COMMANDS, 3, (c) => runCommand([...c.run, '--help'], REPO_ROOT))
    COMMANDS.forEach((c, i) => helps.set(c, results[i]!))
  }, 240_000)

  it('finds the commands: every npm script of ours and every node line of README', () => {
    expect(NPM.map((c) => c.run[3])).toEqual(expect.arrayContaining(['start', 'compile', 'edge', 'controller', 'apiserver', 'explain', 'diff', 'signing-key']))
    expect(COMMANDS.length).toBeGreaterThan(20)
    // Every product command has an importable declaration, so that its help is checked flag by flag.
    for (const { file } of COMMANDS) if (!file.startsWith('bench/')) expect(DECLARED, file).toHaveProperty([file])
  })

  it('--help through the real npm script: exit 0, the usage, every declared flag with its value, default and environment', () => {
    for (const [c, r] of helps) {
      const where = `${c.run.join(' ')} --help`
      expect(r.code, `${where}: ${r.stderr}`).toBe(0)
      expect(r.stdout, where).toMatch(/^usage: /)
      expect(r.stdout, where).toMatch(/\nexit status:\n/)
      const entries = helpEntries(r.stdout)
      expect(entries.has('help'), where).toBe(true)
      const declared = DECLARED[c.file]
      if (!declared) continue
      expect(r.stdout, where).toBe(declared.help())
      for (const [name, flag] of Object.entries(declared.flags)) {
        const entry = entries.get(name)
        expect(entry, `${where}: --${name}`).toBeDefined()
        expect(entry!.startsWith(flagSynopsis(name, flag)), `${where}: ${entry}`).toBe(true)
        expect(entry, where).toContain(fold(flag.help))
        const shown = flag.defaultText ?? flag.default
        if (shown !== undefined) expect(fold(entry!), where).toContain(fold(`default ${shown || '""'}`))
        for (const variable of flag.env ?? []) expect(entry, where).toContain(variable)
      }
      for (const variable of Object.keys(declared.spec.environment ?? {})) expect(r.stdout, where).toMatch(new RegExp(`\\n {2}${variable} `))
    }
  })

  it('an unknown flag: the usage exit code (2; explain: 1, its 2 being the edge answering), the message and the usage lines', {
    timeout: 240_000,
  }, async () => {
    const results = await eachLimited(COMMANDS, 3, async (c) => ({ c, r: await runCommand([...c.run, '--no-such-flag'], REPO_ROOT) }))
    for (const { c, r } of results) {
      const where = `${c.run.join(' ')} --no-such-flag`
      expect(r.code, `${where}: ${r.stderr}`).toBe(DECLARED[c.file]?.usageExit ?? 2)
      expect(r.stderr, where).toMatch(/^[\w:/.-]+: unknown flag --no-such-flag\nusage: .*\n(?: {7}.*\n)*every flag: .* --help\n$/)
      expect(r.stdout, where).toBe('')
    }
  })

  it("README's command list names only flags the command declares", () => {
    expect(README.length).toBeGreaterThan(15)
    for (const c of README) {
      const declared = DECLARED[c.file]
      // A bench's declaration runs with it (it cannot be imported): its help lists what it declares.
      const help = [...helps].find(([entry]) => entry.file === c.file)?.[1].stdout ?? ''
      const names = declared ? Object.keys(declared.flags) : [...helpEntries(help).keys()]
      for (const flag of c.flags) expect(names, `README: ${c.line}`).toContain(flag)
    }
  })
})

describe("every command's environment", () => {
  it('is in its help: every variable read by the code it imports (but the parts it never runs)', () => {
    for (const [file, command] of Object.entries(DECLARED)) {
      const help = command.help()
      const missing = [...environmentRead(file)].filter((name) => !NOT_RUN[file]?.includes(name) && !new RegExp(`\\b${name}\\b`).test(help))
      expect(missing, file).toEqual([])
    }
  })
})
