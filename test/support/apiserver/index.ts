// The test Kubernetes API server (see server.ts).
//
//   const api = await startApiServer()                  // { tls, token, bookmarkIntervalMs }
//   const kc = new KubeConfig(); kc.loadFromString(api.kubeconfig())
//   api.apply(obj, ...)          // create or replace, validated like kubectl apply
//   api.remove('IngressRoute', 'default', 'web')
//   api.dropWatches('reset')     // or 'end'; api.store.compact() -> 410 Gone for older RVs
//   api.faults.fail({ status: 503, times: 3, match: /GET \/apis\/traefik/ }); api.faults.delayMs = 200
//   api.requests                 // every request line received
export { startApiServer, type ApiServerOptions, type TestApiServer } from './server.ts'
export { RESOURCES, type ResourceType } from './resources.ts'
export type { Obj } from './store.ts'
