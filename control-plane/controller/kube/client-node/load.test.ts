// load.ts must give the controller client-node's KubeConfig, Watch and ListWatch without
// evaluating the generated models and typed APIs (the point of it: 20-40 MB of the 10k peak RSS), and what
// it gives must be client-node's own classes (the root module's, for anything that also imports it).
import { execFileSync } from 'node:child_process'
import * as root from '@kubernetes/client-node'
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js'
import { describe, expect, it } from 'vitest'
import { HttpMethod, KubeConfig, ListWatch, RequestContext, Watch } from './load.ts'
import { ObjectSerializer as SelectorSerializer } from './selector-serializer.ts'

/** The modules a fresh Node process evaluates for `import './load.ts'`, as file URLs. */
function modulesLoadedBy(url: string): string[] {
  const script = `
    import { registerHooks } from 'node:module'
    const seen = []
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context) } })
    const m = await import(${JSON.stringify(url)})
    const kc = new m.KubeConfig()
    kc.loadFromString(JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }], users: [{ name: 'u', user: { token: 't' } }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x' }))
    if (kc.getCurrentCluster()?.server !== 'https://127.0.0.1:1') throw new Error('KubeConfig did not load')
    console.log(JSON.stringify(seen))
  `
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as string[]
}

describe("client-node's parts for the controller", () => {
  it('loads KubeConfig, Watch and ListWatch without the generated models and typed APIs', () => {
    const seen = modulesLoadedBy(new URL('./load.ts', import.meta.url).href).filter((u) => u.includes('/@kubernetes/client-node/'))
    const dist = (p: string) => seen.some((u) => u.endsWith(`/@kubernetes/client-node/dist/${p}`))
    expect(dist('config.js') && dist('watch.js') && dist('cache.js')).toBe(true)
    expect(seen.filter((u) => /\/dist\/gen\/(models|apis|types)\/|\/dist\/gen\/index\.js$|\/dist\/index\.js$/.test(u))).toEqual([])
  })

  it("are client-node's own classes, the ones its root module exports", () => {
    expect(KubeConfig).toBe(root.KubeConfig)
    expect(Watch).toBe(root.Watch)
    expect(ListWatch).toBe(root.ListWatch)
    expect(RequestContext).toBe(root.RequestContext)
    expect(HttpMethod).toBe(root.HttpMethod)
  })

  it("serializes a selector as client-node's generated serializer does, and refuses any other use", () => {
    for (const s of ['app=web,tier!=db', 'metadata.name=x', '']) {
      expect(SelectorSerializer.serialize(s, 'string')).toBe(ObjectSerializer.serialize(s, 'string'))
    }
    expect(() => SelectorSerializer.serialize({}, 'V1LabelSelector')).toThrow(/selector-serializer\.ts must follow/)
  })
})
