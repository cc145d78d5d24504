// `wrangler deploy --dry-run` on the shipped wrangler.toml, as a user runs it before deploying:
// offline, with no token and no login, it bundles the worker and lists every binding, the VPC
// Network one included (wrangler 4's own validation of the configuration).
import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

describe('wrangler deploy --dry-run', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('accepts the shipped wrangler.toml offline and lists the VPC Network binding', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wrangler-dry-run-'))
    const { CLOUDFLARE_API_TOKEN: _t, CLOUDFLARE_ACCOUNT_ID: _a, ...env } = process.env
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', join(dir, 'out')], {
      cwd: REPO_ROOT,
      env: { ...env, HOME: dir, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    })
    const output = `${run.stdout}${run.stderr}`
    expect(run.status, output).toBe(0)
    expect(output).toMatch(/env\.VPC_NETWORK \(cf1:network\)\s+VPC Network/)
    expect(output).toMatch(/env\.ROUTES \(\S+\)\s+KV Namespace/)
    expect(output).toMatch(/env\.TABLE_BEACON \(TableBeacon\)\s+Durable Object/)
    expect(output).toMatch(/env\.ENTRYPOINT_BY_SCHEME \("http=web,https=websecure"\)/)
    expect(output).not.toMatch(/WARNING|ERROR/)
    expect(await readdir(join(dir, 'out'))).toContain('index.js')
  }, 150_000)
})
