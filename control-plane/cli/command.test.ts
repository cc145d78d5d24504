// The runner's own rules, in-process: what every command line inherits from its declaration.
// (test/docs/commands.test.ts runs each real command through npm.)
import { describe, expect, it } from 'vitest'
import { type CliIO, commaList, count, defineCommand, port, seconds } from './command.ts'

const demo = defineCommand({
  name: 'demo',
  usage: ['npm run demo -- [flags] PATH...', 'npm run demo -- --list'],
  about: 'A command made up for these tests.',
  positionals: true,
  flags: {
    port: { type: 'string', value: 'N', convert: port, default: '8787', help: 'the port' },
    target: { type: 'string', choices: ['workerd', 'cloudflare'], default: 'workerd', help: 'the runtime' },
    namespace: { type: 'string', value: 'NS', env: ['POD_NAMESPACE', 'NAMESPACE'], default: 'default', help: 'the namespace' },
    header: { type: 'string', value: "'K: V'", multiple: true, help: 'a header' },
    json: { type: 'boolean', help: 'as JSON' },
    ttl: { type: 'string', value: 'S', convert: seconds, defaultText: 'a day', group: 'timing', help: 'how long' },
  },
  environment: { DEMO_TOKEN: 'the token' },
  exits: { 0: 'done', 1: 'input error', 2: 'usage error' },
})

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) }
  return io
}

describe('the command runner', () => {
  it('applies defaults, then environment variables, then the flags given; booleans false and lists empty when absent', () => {
    expect(demo.parse(['a'], {}).values).toEqual({ port: 8787, target: 'workerd', namespace: 'default', header: [], json: false, ttl: undefined })
    expect(demo.parse([], { NAMESPACE: 'second', POD_NAMESPACE: 'first' }).values.namespace).toBe('first')
    expect(demo.parse([], { NAMESPACE: 'second' }).values.namespace).toBe('second')
    const given = demo.parse(['--namespace', 'flag', '--port=0', '--header', 'A: 1', 'p', '--header', 'B: 2', '--json', '--ttl', '1.5'], {
      POD_NAMESPACE: 'env',
    })
    expect(given.values).toEqual({ port: 0, target: 'workerd', namespace: 'flag', header: ['A: 1', 'B: 2'], json: true, ttl: 1.5 })
    expect(given.positionals).toEqual(['p'])
    expect(given.help).toBe(false)
    expect(demo.parse(['-h'], {}).help).toBe(true)
  })

  it('keeps what follows -- apart, and a value starting with - when written --flag=VALUE', () => {
    const parsed = demo.parse(['old', '--', 'new', '--json'], {})
    expect(parsed).toMatchObject({ positionals: ['old', 'new', '--json'], afterDashDash: ['new', '--json'] })
    expect(parsed.values.json).toBe(false)
    expect(demo.parse(['--header=-x: 1'], {}).values.header).toEqual(['-x: 1'])
  })

  it('words every refusal the same way', () => {
    const refusal = (argv: string[]) => {
      try {
        demo.parse(argv, {})
      } catch (err) {
        return (err as Error).message
      }
      throw new Error(`${argv.join(' ')} was accepted`)
    }
    expect(refusal(['--nope'])).toBe('unknown flag --nope')
    expect(refusal(['-x'])).toBe('unknown flag -x')
    expect(refusal(['--constructor'])).toBe('unknown flag --constructor')
    expect(refusal(['--port'])).toBe('--port needs a value: --port N')
    expect(refusal(['--target'])).toBe('--target needs a value: --target workerd|cloudflare')
    expect(refusal(['--port', '--json'])).toBe('--port needs a value: --port N (one that starts with "-": --port=--json)')
    expect(refusal(['--json=yes'])).toBe('--json takes no value')
    expect(refusal(['--port', 'eighty'])).toBe('--port eighty: not a port number')
    expect(refusal(['--port', '65536'])).toBe('--port 65536: not a port number')
    expect(refusal(['--target', 'mars'])).toBe('--target mars: not workerd or cloudflare')
    expect(refusal(['--ttl', '0'])).toBe('--ttl 0: not a positive number of seconds')
    const noPaths = defineCommand({ name: 'p', usage: ['p'], about: '', flags: {}, exits: {} })
    expect(() => noPaths.parse(['stray'], {})).toThrow('unexpected argument "stray"')
  })

  it('prints --help from the declaration: every flag with its value, default, environment and one line', () => {
    const help = demo.help()
    expect(help.split('\n').slice(0, 2)).toEqual(['usage: npm run demo -- [flags] PATH...', '       npm run demo -- --list'])
    expect(help).toMatch(/\n {2}--port N +the port \[default 8787\]\n/)
    expect(help).toMatch(/\n {2}--target workerd\|cloudflare +the runtime \[default workerd\]\n/)
    expect(help).toMatch(/\n {2}--namespace NS +the namespace \[env POD_NAMESPACE, NAMESPACE; default default\]\n/)
    expect(help).toMatch(/\n {2}--header 'K: V' +a header \[repeatable\]\n/)
    expect(help).toMatch(/\n {2}--json +as JSON\n {2}-h, --help +this text\n/)
    expect(help).toMatch(/\ntiming:\n {2}--ttl S +how long \[default a day\]\n/)
    expect(help).toMatch(/\nenvironment:\n {2}DEMO_TOKEN +the token\n/)
    expect(help).toMatch(/\nexit status:\n {2}0 +done\n {2}1 +input error\n {2}2 +usage error\n$/)
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100)
  })

  it('runs: --help on stdout with 0, a usage error on stderr with the usage lines and the usage exit code', async () => {
    const ran: unknown[] = []
    const run = (argv: string[], io: CliIO) =>
      demo.run(
        argv,
        io,
        ({ values, positionals }) => {
          if (positionals.length === 0) throw new Error('no path given')
          return values.port
        },
        (p) => (ran.push(p), 0),
      )
    const help = capture()
    expect(await run(['--help', '--port', 'bad'], help)).toBe(2)
    expect(await run(['--help'], help)).toBe(0)
    expect(help.out).toBe(demo.help())
    const bad = capture()
    expect(await run(['--nope'], bad)).toBe(2)
    expect(bad.err).toBe(
      'demo: unknown flag --nope\nusage: npm run demo -- [flags] PATH...\n       npm run demo -- --list\nevery flag: npm run demo -- --help\n',
    )
    const none = capture()
    expect(await run([], none)).toBe(2)
    expect(none.err).toMatch(/^demo: no path given\nusage: /)
    expect(await run(['x', '--port', '1'], capture())).toBe(0)
    expect(ran).toEqual([1])
    const explainLike = defineCommand({ name: 'e', usage: ['node e.ts [flags]'], about: '', flags: {}, exits: {}, usageExit: 1 })
    const io = capture()
    expect(
      await explainLike.run(
        ['--nope'],
        io,
        () => 0,
        () => 0,
      ),
    ).toBe(1)
    expect(io.err).toContain('every flag: node e.ts --help')
  })

  it('reads numbers and lists one way', () => {
    expect(count('0', '--n')).toBe(0)
    expect(() => count('1.5', '--n')).toThrow('--n 1.5: not a whole number (0 or more)')
    expect(() => count('', '--n')).toThrow('not a whole number')
    expect(commaList(['a, b', 'c', ''])).toEqual(['a', 'b', 'c'])
    expect(commaList('')).toEqual([])
    expect(commaList(undefined)).toEqual([])
  })
})
