// The checker's bookkeeping with a scripted probe: changes are reported with the whole state, a
// configuration that keeps a service's plan keeps its status, one that changes it starts it UP
// again, and the state lands in the endpoints table as `up`.
import { describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { HealthChecker, type HealthState } from './checker.ts'
import { applyHealth } from './overlay.ts'

const config = (path: string): DynamicConfig => ({
  http: {
    services: {
      svc: { loadBalancer: { servers: [{ url: 'http://a' }, { url: 'http://b' }], passHostHeader: true, healthCheck: { path, interval: '10ms' } } },
      plain: { loadBalancer: { servers: [{ url: 'http://c' }], passHostHeader: true } },
    },
  },
})

function scripted() {
  const down = new Set<string>()
  const changes: HealthState[] = []
  let waiter: (() => void) | null = null
  const checker = new HealthChecker({
    onChange: (s) => {
      changes.push(s)
      waiter?.()
    },
    probe: async (server) => {
      if (down.has(server)) throw new Error('scripted failure')
    },
  })
  const changed = () => new Promise<void>((r) => (waiter = r))
  return { down, changes, checker, changed }
}

describe('HealthChecker', () => {
  it('reports a server going down and coming back, and only services with a healthCheck are checked', async () => {
    const { down, checker, changed, changes } = scripted()
    checker.update(config('/h'))
    expect([...checker.state.keys()]).toEqual(['svc'])
    down.add('http://b')
    await changed()
    expect(changes.at(-1)!.get('svc')).toEqual(
      new Map([
        ['http://a', true],
        ['http://b', false],
      ]),
    )
    down.clear()
    await changed()
    expect(changes.at(-1)!.get('svc')!.get('http://b')).toBe(true)
    checker.stop()
  })

  it('keeps the status across an unchanged plan, starts UP again when the plan changes', async () => {
    const { down, checker, changed } = scripted()
    checker.update(config('/h'))
    down.add('http://a')
    await changed()
    checker.update(config('/h'))
    expect(checker.state.get('svc')!.get('http://a')).toBe(false)
    const reported = changed()
    checker.update(config('/other'))
    // The down server is UP again under the new plan: that is a change for the edge too.
    await reported
    expect(checker.state.get('svc')!.get('http://a')).toBe(true)
    checker.stop()
  })

  it('applyHealth marks servers, leaving unknown services and servers up', () => {
    const endpoints = {
      svc: {
        servers: [
          { url: 'http://a', weight: 1, preservePath: false, fenced: false, up: true },
          { url: 'http://z', weight: 1, preservePath: false, fenced: false, up: true },
        ],
      },
      other: { servers: [{ url: 'http://a', weight: 1, preservePath: false, fenced: false, up: true }] },
    }
    const out = applyHealth(endpoints, new Map([['svc', new Map([['http://a', false]])]]))
    expect(out.svc!.servers.map((s) => s.up)).toEqual([false, true])
    expect(out.other).toBe(endpoints.other)
    expect(endpoints.svc.servers[0]!.up).toBe(true)
  })
})
