// The controller's image ships Node's compile cache (deploy/Dockerfile), made by a `--help` start
// as the user the controller runs as: a start with that cache must not load Node's TypeScript
// stripper (amaro; about 5 MB of the controller's 10k peak RSS), so `--help` has to load every
// TypeScript module a cluster deployment loads (the controller's one later import is the local
// sink's, which a deployment does not use).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

const CONTROLLER = 'control-plane/cli/controller.ts'
/** Says on stderr, as the process exits, whether Node loaded its TypeScript stripper. */
const REPORT = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => process.stderr.write('TypeScript stripper loaded: ' + process.moduleLoadList.some((m) => m.includes('amaro')) + '\\n'))",
)}`

/** `controller.ts --help` with the given compile cache: what it said of the stripper. */
function startWith(cache: string): string {
  const run = spawnSync(process.execPath, [`--import=${REPORT}`, join(REPO_ROOT, CONTROLLER), '--help'], {
    env: { ...process.env, NODE_COMPILE_CACHE: cache },
    encoding: 'utf8',
  })
  expect(run.status, run.stderr).toBe(0)
  expect(run.stdout).toMatch(/^usage: npm run controller/m)
  return /TypeScript stripper loaded: \w+/.exec(run.stderr)?.[0] ?? run.stderr
}

describe("the controller's compile cache", () => {
  let cache = ''
  afterAll(() => rm(cache, { recursive: true, force: true }))

  it('is made in the image by a start of the entrypoint, as the user it runs as, where NODE_COMPILE_CACHE says', () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'deploy/Dockerfile'), 'utf8')
    const dir = /^ENV NODE_COMPILE_CACHE=(\S+)$/m.exec(dockerfile)?.[1]
    expect(dir).toBeDefined()
    const user = dockerfile.indexOf('\nUSER node\n')
    expect(user).toBeGreaterThan(dockerfile.indexOf(`ENV NODE_COMPILE_CACHE=${dir}`))
    expect(dockerfile.indexOf(`\nRUN node ${CONTROLLER} --help`)).toBeGreaterThan(user)
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "${CONTROLLER}"]`)
  })

  it('spares every later start the TypeScript stripper', async () => {
    cache = await mkdtemp(join(tmpdir(), 'controller-compile-cache-'))
    expect(startWith(cache)).toBe('TypeScript stripper loaded: true')
    expect(startWith(cache)).toBe('TypeScript stripper loaded: false')
  })
})
