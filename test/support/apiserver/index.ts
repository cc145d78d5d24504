// The test Kubernetes API server (see server.ts).
//
//   const api = await startApiServer()                  // { tls, token, eventTtlMs, crds, bookmarkIntervalMs }
//   const kc = new KubeConfig(); kc.loadFromString(api.kubeconfig())
//   api.apply(obj, ...)          // create or replace, admitted like a client's write (namespaces created)
//   api.remove('IngressRoute', 'default', 'web')
//   api.dropWatches('reset')     // or 'end'; api.store.compact() -> 410 Gone for older RVs
//   api.churn({ lifetimeMs: [200, 800], goneRatio: 0.3 })   // a busy API server's watches
//   api.faults.fail({ status: 503, times: 3, match: /GET \/apis\/traefik/ }); api.faults.delayMs = 200
//   api.serviceAccountToken('ns', 'sa')   // RBAC applies to it (deploy/rbac.yaml once applied)
//   api.requests                 // every request line received
export { startApiServer, traefikCrds, type ApiServerOptions, type TestApiServer, type WatchChurn } from './server.ts'
export { BUILTIN_RESOURCES, type ResourceType } from './resources.ts'
export type { Obj } from './store.ts'
