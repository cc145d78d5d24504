/**
 * The dashboard in headless Chromium with real clicks and typing, served by the control plane of
 * a real `npm run edge` stack (runEdge: file mode, local KV, workerd) on examples/ plus two
 * routes with problems. Screenshots go to a temporary folder, or to docs/screenshots/ (which
 * docs/dashboard.md shows) with `npm run screenshots`, so `npm test` leaves the tree unchanged.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runEdge, type RunningEdge } from '../../control-plane/cli/run-edge.ts'
import type { DashboardState } from '../../control-plane/dashboard/state.ts'
import { launchChromium, type Browser } from '../support/chromium.ts'
import { runCli } from '../support/cli.ts'
import { send } from '../support/index.ts'

const REPO = join(import.meta.dirname, '../..')
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS === 'docs' ? join(REPO, 'docs/screenshots') : join(tmpdir(), `dashboard-screenshots-${process.pid}`)

const EXTRA = `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: broken, namespace: demo }
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`broken.localhost\`)
      middlewares: [{ name: does-not-exist }]
      services: [{ name: whoami-v1, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: secure, namespace: demo }
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`secure.localhost\`)
      services: [{ name: whoami-v1, port: 80 }]
  tls: { certResolver: le }
`

let dir: string
let manifests: string
let edge: RunningEdge
let browser: Browser
let page: Page

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-browser-'))
  manifests = join(dir, 'manifests')
  await cp(join(REPO, 'examples'), manifests, { recursive: true })
  await writeFile(join(manifests, 'extra.yaml'), EXTRA)
  await mkdir(SCREENSHOTS, { recursive: true })
  const [running, launched] = await Promise.all([
    runEdge({
      manifests: [manifests],
      provider: {},
      port: 0,
      entryPoint: 'web',
      persistTo: join(dir, 'kv'),
      stateDir: join(dir, 'state'),
      dashboardPort: 0,
      report: () => {},
    }),
    launchChromium(),
  ])
  edge = running
  browser = launched
  page = await browser.context.newPage()
}, 900_000)

afterAll(async () => {
  await browser?.close()
  await edge?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
  if (process.env.DASHBOARD_SCREENSHOTS !== 'docs') await rm(SCREENSHOTS, { recursive: true, force: true })
})

const rowNames = (p: Page) => p.locator('#list tbody tr[data-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name')))

async function state(): Promise<DashboardState> {
  return (await fetch(`${edge.dashboardUrl}api/state`)).json() as Promise<DashboardState>
}

describe('dashboard in Chromium', () => {
  it('shows the routers and the table version the edge serves', async () => {
    expect(edge.dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    await page.goto(edge.dashboardUrl!)
    await page.locator('#list tbody tr[data-name]').first().waitFor()
    const s = await state()
    expect(s.published?.routesVersion).toMatch(/^[\w-]{43}$/)
    // The header names the version that was published and when.
    await expect.poll(() => page.locator('#version').getAttribute('data-routes-version')).toBe(s.published!.routesVersion)
    expect(await page.locator('#version').textContent()).toContain(s.published!.routesVersion.slice(0, 12))
    expect(await page.locator('#version').getAttribute('data-pushed-at')).toBe(s.published!.pushedAt)
    expect((await rowNames(page)).sort()).toEqual(s.routers.map((r) => r.name).sort())
    expect(s.routers).toHaveLength(6)
    // The edge serves what the dashboard says it serves.
    expect((await send(`${edge.url}/`, { headers: { host: 'broken.localhost' } })).status).toBe(404)
    await page.screenshot({ path: join(SCREENSHOTS, 'routers.png'), fullPage: true })
  })

  it('filters the router list as the user types and picks a status', async () => {
    await page.locator('#search').click()
    await page.keyboard.type('canary')
    await expect.poll(() => rowNames(page)).toEqual([expect.stringMatching(/^demo-canary-/)])
    await page.locator('#search').fill('')
    // Sources are searchable too: every router from examples/ingressroutes.yaml.
    await page.locator('#search').pressSequentially('ingressroutes.yaml')
    await expect.poll(async () => (await rowNames(page)).length).toBe(3)
    await page.locator('#search').fill('')
    await page.locator('#status').selectOption('disabled')
    await expect.poll(() => rowNames(page)).toEqual([expect.stringMatching(/^demo-broken-/)])
    await page.locator('#status').selectOption('warning')
    await expect.poll(() => rowNames(page)).toEqual([expect.stringMatching(/^demo-secure-/)])
    await page.locator('#status').selectOption('')
    await expect.poll(async () => (await rowNames(page)).length).toBe(6)
  })

  it('shows a router’s source object and diagnostics when clicked', async () => {
    await page.locator('#list tbody tr[data-name^="demo-broken-"]').click()
    const detail = page.locator('#detail')
    await detail.waitFor()
    await expect.poll(() => detail.locator('h2').textContent()).toMatch(/^demo-broken-[0-9a-f]{20}$/)
    const text = (await detail.textContent()) ?? ''
    expect(text).toContain(`IngressRoute demo/broken (${join(manifests, 'extra.yaml')}:1) spec.routes[0]`)
    expect(text).toContain('disabled')
    expect(text).toContain('middleware "demo-does-not-exist@kubernetescrd" does not exist')
    // Where, as npm run compile says it: the object, and the line of the middleware reference.
    expect(text).toContain(`${join(manifests, 'extra.yaml')}:8`)
    await page.screenshot({ path: join(SCREENSHOTS, 'router-detail.png'), fullPage: true })

    await page.locator('#list tbody tr[data-name^="demo-canary-"]').click()
    await expect.poll(() => detail.locator('h2').textContent()).toMatch(/^demo-canary-/)
    expect(await detail.textContent()).toContain('no diagnostics')
    expect(await detail.textContent()).toContain(`IngressRoute demo/canary (${join(manifests, 'ingressroutes.yaml')}:28) spec.routes[0]`)

    await page.locator('#tabs button[data-tab="services"]').click()
    await page.locator('#list tbody tr[data-name="demo-whoami-v1-80"]').click()
    await expect.poll(() => detail.textContent()).toContain('http://127.0.0.11:18081')
    expect(await detail.textContent()).toContain(`Service demo/whoami-v1 (${join(manifests, 'services.yaml')}:3) spec.ports[0]`)
  })

  it('answers the explain form as npm run explain does', async () => {
    await page.locator('#tabs button[data-tab="explain"]').click()
    const form = page.locator('#explain-form')
    await form.locator('input[name="url"]').fill('http://demo.localhost/docs')
    await form.locator('select[name="method"]').selectOption('POST')
    await form.locator('textarea[name="headers"]').fill('X-Env: dev')
    await form.locator('button[type="submit"]').click()
    await page.locator('#explain-text').waitFor()
    const shown = await page.locator('#explain-text').textContent()
    const cli = await runCli(join(REPO, 'control-plane/cli/explain.ts'), [
      '--manifests',
      manifests,
      '--url',
      'http://demo.localhost/docs',
      '--method',
      'POST',
      '--header',
      'X-Env: dev',
    ])
    expect(cli.code).toBe(0)
    expect(shown).toBe(cli.stdout)
    expect(await page.locator('#explain-answer').textContent()).toMatch(/^router demo-demo-[0-9a-f]{20} rule Host\(`demo\.localhost`\)$/)
    // The routers tried first are listed with the clause that failed.
    expect(shown).toContain('failed: PathPrefix(`/api`) at 26: path is "/docs"')
    await page.screenshot({ path: join(SCREENSHOTS, 'explain.png'), fullPage: true })

    await form.locator('input[name="url"]').fill('http://nowhere.localhost/')
    await form.locator('button[type="submit"]').click()
    await expect.poll(() => page.locator('#explain-answer').textContent()).toBe('no router matched -> 404 page not found')
    expect((await send(`${edge.url}/`, { headers: { host: 'nowhere.localhost' } })).status).toBe(404)
  })

  it('follows a manifest change: new router listed, the change shown, the new version in the header', async () => {
    const before = (await state()).published!.routesVersion
    await writeFile(join(manifests, 'extra.yaml'), EXTRA.replace('broken.localhost', 'fixed.localhost').replace('does-not-exist', 'demo-headers'))
    await expect.poll(async () => (await state()).published?.routesVersion, { timeout: 10_000 }).not.toBe(before)
    await page.locator('#tabs button[data-tab="routers"]').click()
    await expect.poll(() => page.locator('#version').getAttribute('data-routes-version'), { timeout: 10_000 }).not.toBe(before)
    await expect.poll(async () => (await rowNames(page)).filter((n) => n?.startsWith('demo-broken-'))).toHaveLength(1)
    await page.locator('#status').selectOption('disabled')
    await expect.poll(() => rowNames(page)).toEqual([])
    await page.locator('#status').selectOption('')
    await page.locator('#tabs button[data-tab="changes"]').click()
    // The router was not served before (missing middleware): it is added; its service renamed with its rule.
    await expect.poll(() => page.locator('#changes').textContent()).toMatch(/^routers:\n {2}\+ demo-broken-[0-9a-f]{20}\n/)
    expect(await page.locator('#changes').textContent()).toMatch(/^ {2}~ demo-broken-[0-9a-f]{20} -> demo-broken-[0-9a-f]{20} \(renamed: its rule changed\)$/m)
    expect(await page.locator('#changes').textContent()).toMatch(
      /^ {2}- IngressRoute demo\/broken: spec\.routes\[0\]\.middlewares\[0\]: middleware "demo-does-not-exist@kubernetescrd" does not exist$/m,
    )
    await page.screenshot({ path: join(SCREENSHOTS, 'changes.png'), fullPage: true })
  })
})
