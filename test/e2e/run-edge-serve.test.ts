// `npm run edge` serving real YAML, as a user runs it (a spawned npm process, checked from
// outside): the ready line, a request routed to a real upstream, a file change served within 2 s,
// and SIGTERM (twice) leaving no process of its tree behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { send } from '../support/http.ts'
import { ingressRouteYaml, serviceYaml } from '../support/manifests.ts'
import { cmdline, descendants, isRunning } from '../support/processes.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const backend = (port: number) => serviceYaml({ name: 'app', addresses: ['127.0.0.21'], port })
const route = (host: string) => ingressRouteYaml({ name: 'app', match: `Host(\`${host}\`)`, service: 'app', entryPoints: ['web'] })

describe('npm run edge', () => {
  let dir: string
  let upstream: Upstream
  let npm: ChildProcess
  let url: string
  let stdout = ''
  let stderr = ''

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-serve-'))
    upstream = await startUpstream({ host: '127.0.0.21', name: 'app' })
    await writeFile(join(dir, 'backend.yaml'), backend(upstream.port))
    await writeFile(join(dir, 'route.yaml'), route('app.test'))
    npm = spawn(
      'npm',
      [
        'run',
        '--silent',
        'edge',
        '--',
        '--manifests',
        join(dir, 'backend.yaml'),
        join(dir, 'route.yaml'),
        '--port',
        '0',
        '--persist-to',
        join(dir, 'kv'),
        '--state-dir',
        join(dir, 'state'),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    npm.stderr!.on('data', (c: Buffer) => (stderr += c))
    url = await new Promise<string>((resolve, reject) => {
      npm.stdout!.on('data', (c: Buffer) => {
        stdout += c
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(stdout)
        if (m) resolve(m[1]!)
      })
      npm.once('exit', (code) => reject(new Error(`npm run edge exited ${code}:\n${stderr}`)))
      setTimeout(() => reject(new Error(`no ready line:\n${stderr}`)), 60_000).unref()
    })
  })
  afterAll(async () => {
    if (npm?.exitCode === null) npm.kill('SIGKILL')
    await upstream?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('prints exactly one ready line and routes to the upstream', async () => {
    expect(stdout.trim().split('\n')).toEqual([`ready ${url}`])
    // Nothing alarming on stderr either (workerd warns at every start about a redundant compatibility flag).
    expect(stderr).not.toMatch(/warn|compatibility flag|error/i)
    const res = await send(`${url}/hello`, { headers: { host: 'app.test' } })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ server: 'app', url: '/hello' })
    expect(upstream.requests.at(-1)!.headers.host).toBe('app.test')
  })

  it('serves a changed manifest within 2 seconds', async () => {
    const changed = Date.now()
    await writeFile(join(dir, 'route.yaml'), route('renamed.test'))
    for (;;) {
      const [renamed, old] = await Promise.all([send(`${url}/`, { headers: { host: 'renamed.test' } }), send(`${url}/`, { headers: { host: 'app.test' } })])
      if (renamed.status === 200 && old.status === 404) break
      expect(Date.now() - changed).toBeLessThan(2000)
      await new Promise((r) => setTimeout(r, 25))
    }
  })

  it('stops on SIGTERM, sent twice as impatient supervisors do, and leaves no process behind', async () => {
    const tree = descendants(npm.pid!)
    expect(tree.length).toBeGreaterThanOrEqual(3) // run.mjs, node, workerd...
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)))
    // The edge's own node process gets a second SIGTERM while it stops (a supervisor signalling every
    // process of the tree does that): it must not cut the cleanup short and orphan workerd.
    const edgeNode = tree.find((pid) => /control-plane\/cli\/edge\.ts/.test(cmdline(pid)) && !/run\.mjs/.test(cmdline(pid)))
    expect(edgeNode).toBeDefined()
    process.kill(edgeNode!, 'SIGTERM')
    await new Promise((r) => setTimeout(r, 5))
    process.kill(edgeNode!, 'SIGTERM')
    npm.kill('SIGTERM')
    // A clean stop, not the default action of the second signal (which would exit 143 by signal).
    expect(await exited).toBe(0)
    const deadline = Date.now() + 5000
    while (tree.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(tree.filter(isRunning)).toEqual([])
    await expect(send(url)).rejects.toThrow(/ECONNREFUSED/)
  })
})
