// Headless Chromium for browser tests: Debian's `chromium` package, installed with apt-get the
// first time a test needs it (CI runs `npm test` as root on a fresh machine), driven through
// playwright-core with a fresh profile per launch.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Installs Debian's chromium when it is missing (needs root and the Debian archive). */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return
  // flock: test files running in parallel install once.
  const install =
    'flock /tmp/traefik-edge-chromium.lock sh -c "test -x /usr/bin/chromium || { apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }; }"'
  const r = spawnSync('sh', ['-c', install], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 900_000,
  })
  if (!existsSync(CHROMIUM)) {
    throw new Error(`chromium is not installed and apt-get could not install it (status ${r.status}):\n${r.stderr?.toString() ?? ''}`)
  }
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** Launches headless Chromium with a fresh --user-data-dir. */
export async function launchChromium(): Promise<Browser> {
  ensureChromium()
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 800 },
    })
    return {
      context,
      close: async () => {
        await context.close()
        await rm(profile, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
}
