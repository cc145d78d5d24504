// Stands in for client-node's generated index (dist/gen/index.js) where its KubeConfig module
// imports it: KubeConfig takes only these two from it (for makeApiClient), while the index
// evaluates every model and typed API class (20-40 MB of the controller's 10k peak RSS). load.ts
// points that one import here; anything else that imports the index gets the whole of it.
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js'
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js'
