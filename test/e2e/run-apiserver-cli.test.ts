// `npm run apiserver` as docs/cluster.md shows it: it prints one line `kubeconfig PATH`, the real
// kubectl and `npm run controller` work with that kubeconfig, and SIGTERM leaves no process behind.
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startControllerProcess } from '../support/controller-process.ts'
import { eventually } from '../support/eventually.ts'
import { kubectlFor } from '../support/kubectl.ts'
import { descendants, isRunning } from '../support/processes.ts'

describe('npm run apiserver', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('prints `kubeconfig PATH`, serves kubectl and the controller, and stops on SIGTERM leaving nothing behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'apiserver-cli-'))
    const proc = spawn('npm', ['run', '-s', 'apiserver', '--', '--state-dir', dir], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    createInterface(proc.stdout!).on('line', (l) => lines.push(l))
    const stderr: string[] = []
    createInterface(proc.stderr!).on('line', (l) => stderr.push(l))
    try {
      await eventually(() => expect(lines.length).toBeGreaterThan(0), { what: 'the kubeconfig line', timeoutMs: 60_000 })
      expect(lines).toEqual([`kubeconfig ${join(dir, 'apiserver', 'kubeconfig')}`])
      const kubeconfig = lines[0]!.slice('kubeconfig '.length)
      const k = kubectlFor(kubeconfig)
      const ok = async (...args: string[]) => {
        const r = await k(...args)
        expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).toBe(0)
        return r.stdout
      }
      await ok('apply', '-f', join(REPO_ROOT, 'deploy/crds/'))
      await ok('create', 'namespace', 'demo')
      await ok('apply', '-f', join(REPO_ROOT, 'examples/'))
      expect(await ok('get', 'ingressroutes', '-n', 'demo')).toMatch(/^admin\s/m)
      expect(await ok('explain', 'ingressroute.spec.routes')).toMatch(/match\s+<string> -required-/)
      const controller = await startControllerProcess([
        '--kubeconfig',
        kubeconfig,
        '--no-leader-election',
        '--ops-port',
        '0',
        '--persist-to',
        join(dir, 'kv'),
        '--state-dir',
        join(dir, 'state'),
      ])
      try {
        await eventually(async () => expect((await fetch(`${controller.opsUrl}/readyz`)).status).toBe(200), { what: 'the controller ready', timeoutMs: 30_000 })
      } finally {
        await controller.stop()
      }
    } finally {
      const tree = descendants(proc.pid!)
      await new Promise((resolve) => {
        proc.once('exit', resolve)
        proc.kill('SIGTERM')
      })
      expect(proc.exitCode).toBe(0)
      await eventually(() => expect(tree.filter(isRunning)).toEqual([]), { what: 'no process left' })
    }
  })
})
