/**
 * Explain over a large table: routers limited to other hosts are counted, not listed, past a few.
 */
import { describe, expect, it } from 'vitest'
import { ingressRouteYaml, serviceYaml } from '../../test/support/manifests.ts'
import { parseManifestText } from '../manifests/load.ts'
import { explainRequest, formatExplanation, OTHER_HOSTS_LISTED } from './explain.ts'
import { inspectLoaded, routingView, storedParts } from './inspect.ts'

function explainer(yaml: string) {
  const parsed = parseManifestText(yaml, 'routes.yaml')
  const i = inspectLoaded({ snapshot: { objects: parsed.objects.map((o) => o.object) }, diagnostics: parsed.diagnostics, files: [] })
  const parts = storedParts(i.built)
  const view = routingView(i.built)
  return (url: string) => explainRequest(parts, view, { url })
}

const hosts = (n: number) =>
  Array.from({ length: n }, (_, k) =>
    ingressRouteYaml({ name: `h${String(k).padStart(2, '0')}`, match: `Host(\`h${k}.example\`) && PathPrefix(\`/x\`)`, service: 'web' }),
  )

describe('explain on many routers', () => {
  const base = [serviceYaml({ name: 'web', addresses: ['10.0.0.1'], port: 80 }), ingressRouteYaml({ name: 'any', match: 'PathPrefix(`/api`)', service: 'web' })]

  it('lists up to OTHER_HOSTS_LISTED routers of other hosts, in the edge order', () => {
    const explain = explainer([...base, ...hosts(OTHER_HOSTS_LISTED)].join('---\n'))
    const e = explain('http://nowhere.example/')
    expect(e.outcome).toBe('no-match')
    expect(e.otherHosts).toBe(0)
    expect(e.notMatched).toHaveLength(OTHER_HOSTS_LISTED + 1)
    const priorities = e.notMatched.map((m) => m.priority)
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a))
  })

  it('counts them past that, and still lists the routers that could have matched the host', () => {
    const explain = explainer([...base, ...hosts(60)].join('---\n'))
    const e = explain('http://h7.example/y')
    expect(e.outcome).toBe('no-match')
    expect(e.otherHosts).toBe(59)
    expect(e.notMatched.map((m) => [m.rule, m.failed[0]?.text])).toEqual([
      ['Host(`h7.example`) && PathPrefix(`/x`)', 'PathPrefix(`/x`)'],
      ['PathPrefix(`/api`)', 'PathPrefix(`/api`)'],
    ])
    expect(formatExplanation(e)).toContain('  (and 59 routers limited to other hosts)\n')
    expect(explain('http://h7.example/x/1').router?.rule).toBe('Host(`h7.example`) && PathPrefix(`/x`)')
  })
})
