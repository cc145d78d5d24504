// `npm start` as a user runs it: the demo upstreams, the control plane on examples/ and the edge;
// the curl lines it prints work as they say; SIGINT stops the whole tree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { send } from '../support/http.ts'
import { descendants, isRunning } from '../support/processes.ts'

describe('npm start', () => {
  let npm: ChildProcess
  let stdout = ''
  let stderr = ''
  let url: string

  beforeAll(async () => {
    npm = spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: '0' } })
    npm.stderr!.on('data', (c: Buffer) => (stderr += c))
    url = await new Promise<string>((resolve, reject) => {
      npm.stdout!.on('data', (c: Buffer) => {
        stdout += c
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*Ctrl-C/m.exec(stdout)
        if (m) resolve(m[1]!)
      })
      npm.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${stderr}`)))
      setTimeout(() => reject(new Error(`npm start not ready:\n${stderr}`)), 60_000).unref()
    })
  })
  afterAll(() => {
    if (npm?.exitCode === null) npm.kill('SIGKILL')
  })

  const hostname = async (host: string, path = '/') => {
    const res = await send(url + path, { headers: { host } })
    return { status: res.status, body: res.body, who: /^Hostname: (.*)$/m.exec(res.body)?.[1] }
  }

  it('prints no wrangler warnings (its local KV proxy gets a KV-only configuration)', () => {
    expect(stderr).not.toMatch(/WARNING|Durable Object|remote|▲/)
  })

  it('prints curl lines for the example hosts', () => {
    for (const host of ['demo.localhost', 'canary.localhost', 'nowhere.localhost']) {
      expect(stdout).toContain(`curl -H 'Host: ${host}' ${url}/`)
    }
  })

  it('serves the examples: round robin, stripped prefix, weighted canary, 404', async () => {
    const pods = new Set([(await hostname('demo.localhost')).who, (await hostname('demo.localhost')).who])
    expect(pods).toEqual(new Set(['whoami-v1 127.0.0.11:18081', 'whoami-v1 127.0.0.12:18081']))
    const api = await hostname('demo.localhost', '/api/users')
    expect(api.who).toBe('api 127.0.0.14:18082')
    expect(api.body).toMatch(/^GET \/users HTTP\/1\.1$/m)
    const canary = await Promise.all([0, 1, 2, 3].map(() => hostname('canary.localhost')))
    expect(canary.filter((c) => c.who?.startsWith('whoami-v2')).length).toBe(1)
    expect((await hostname('nowhere.localhost')).status).toBe(404)
  })

  it('guards admin.localhost with basicAuth from a stringData Secret', async () => {
    expect(stdout).toContain(`curl -u admin:edge -H 'Host: admin.localhost' ${url}/`)
    const denied = await send(`${url}/`, { headers: { host: 'admin.localhost' } })
    expect(denied.status).toBe(401)
    expect(denied.headers['www-authenticate']).toBe('Basic realm="traefik-edge demo"')
    const allowed = await send(`${url}/`, { headers: { host: 'admin.localhost', authorization: `Basic ${Buffer.from('admin:edge').toString('base64')}` } })
    expect(allowed.status, allowed.body).toBe(200)
    expect(allowed.body).toMatch(/^Hostname: whoami-v1 /m)
  })

  it("serves Traefik's API on the dashboard's URL, as the curl line it prints says", async () => {
    const m = /^Traefik's API: curl (\S+)/m.exec(stdout)
    expect(m).not.toBeNull()
    const overview = await send(m![1]!)
    expect(overview.status).toBe(200)
    expect(JSON.parse(overview.body)).toMatchObject({ http: { routers: { total: expect.any(Number) } }, providers: ['KubernetesCRD'] })
  })

  it('stops on SIGINT and leaves no process behind', async () => {
    const tree = descendants(npm.pid!)
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)))
    npm.kill('SIGINT')
    await exited
    const deadline = Date.now() + 5000
    while (tree.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(tree.filter(isRunning)).toEqual([])
  })
})
