// Commands in the docs whose output goes to a file or a pipe: npm prints a banner
// (`> traefik-edge@0.1.0 signing-key`) on stdout unless run with -s, and a key file or a
// `wrangler secret put` would then hold it too. Every such command in README.md, docs/, deploy/
// and wrangler.toml says `npm run -s` (or writes with --out), and what `npm run -s` prints is the
// output alone (a real npm, a real shell).
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

async function documents(): Promise<string[]> {
  const docs = (await readdir(join(REPO_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))
  const deploy = (await readdir(join(REPO_ROOT, 'deploy'))).filter((f) => /\.ya?ml$/.test(f)).map((f) => join('deploy', f))
  return ['README.md', 'wrangler.toml', ...docs, ...deploy]
}

describe('npm commands whose output the docs redirect', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('use npm run -s wherever output goes to a file or a pipe', async () => {
    const offending: string[] = []
    let seen = 0
    for (const doc of await documents()) {
      const text = await readFile(join(REPO_ROOT, doc), 'utf8')
      for (const [i, line] of text.split('\n').entries()) {
        // A shell pipe or redirection: ` | ` or ` > ` before the line's comment (`a|b` in usage texts is an alternative).
        for (const m of line.matchAll(/npm run (?!-s )[\w:-]+[^`#\n]*?\s[|>]\s/g)) offending.push(`${doc}:${i + 1}: ${m[0]}`)
        seen += [...line.matchAll(/npm run -s [\w:-]+[^`#\n]*?\s[|>]\s/g)].length
      }
    }
    expect(offending).toEqual([])
    expect(seen).toBeGreaterThan(3)
  })

  it("npm run -s prints the command's output and nothing else", async () => {
    dir = await mkdtemp(join(tmpdir(), 'npm-output-'))
    const key = join(dir, 'k.jwk.json')
    const sh = (cmd: string) => spawnSync('bash', ['-c', cmd], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(sh(`npm run -s signing-key -- generate --out ${key}`).status).toBe(0)
    const silent = sh(`npm run -s signing-key -- jwks ${key}`)
    expect(JSON.parse(silent.stdout).keys).toHaveLength(1)
    // Without -s the banner is on stdout: what the docs' redirections would have captured.
    const loud = sh(`npm run signing-key -- jwks ${key}`)
    expect(loud.stdout).toMatch(/^\n?> traefik-edge@[\d.]+ signing-key/)
  })
})
