// The parts of @kubernetes/client-node the controller uses (KubeConfig, Watch, ListWatch and the
// request types of its generated HTTP layer), loaded without what it never calls. client-node's
// root module evaluates all of it, and even its KubeConfig and ListWatch modules import the
// generated index (every model and typed API class: 20-40 MB of the controller's 10k peak RSS,
// which was about 250 MB with them; docs/controller-sizing.md) for one function each. So the
// controller imports client-node's modules by path, and a resolve hook points those two imports
// at the small modules beside this one (which re-export client-node's own code, or do what it
// does for the one call made). client-node stays what talks to the API server (watches, auth,
// TLS): the guide requires it, and its auth plugins (exec, OIDC, token files) are not ours to
// write again. The version is pinned (package.json); selector-serializer.ts throws if ListWatch
// changes its use.
import * as nodeModule from 'node:module'
import type * as ClientNode from '@kubernetes/client-node'

const redirects: Array<{ from: string; specifier: string; to: string }> = [
  { from: '/@kubernetes/client-node/dist/config.js', specifier: './gen/index.js', to: new URL('./generated-index.ts', import.meta.url).href },
  { from: '/@kubernetes/client-node/dist/cache.js', specifier: './serializer.js', to: new URL('./selector-serializer.ts', import.meta.url).href },
]

// registerHooks (Node >= 22.15) applies to this thread's module loading from here on; without it
// (older Node) client-node loads whole, as before: the same behaviour with more memory.
nodeModule.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    const r = redirects.find((x) => x.specifier === specifier && context.parentURL?.endsWith(x.from))
    return r ? { url: r.to, shortCircuit: true } : nextResolve(specifier, context)
  },
})

export const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js')
export type KubeConfig = ClientNode.KubeConfig
export const { Watch } = await import('@kubernetes/client-node/dist/watch.js')
export const { ListWatch } = await import('@kubernetes/client-node/dist/cache.js')
export type ListWatch<T extends ClientNode.KubernetesObject> = ClientNode.ListWatch<T>
export const { HttpMethod, RequestContext } = await import('@kubernetes/client-node/dist/gen/http/http.js')
export const { IsomorphicFetchHttpLibrary } = await import('@kubernetes/client-node/dist/gen/http/isomorphic-fetch.js')
