// A cluster for e2e tests: the test API server, a loopback upstream, the real edge on workerd, and
// controllers (control-plane/controller/kube) that watch the API server with client-node and publish into the
// edge's KV store with their own publisher, signed with the key the edge trusts.
import { KubeConfig } from '@kubernetes/client-node'
import { ClusterController, type ClusterControllerOptions } from '../../control-plane/controller/kube/controller.ts'
import { internalDocuments } from '../../control-plane/dashboard/edge-document.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import type { TableSigner } from '../../control-plane/publish/signing-key.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import { startApiServer, type ApiServerOptions, type TestApiServer } from './apiserver/index.ts'
import { serviceObjects } from './apiserver/objects.ts'
import { startEdge, type TestEdge } from './edge.ts'
import { startUpstream, type Upstream } from './upstream.ts'

export interface TestCluster {
  api: TestApiServer
  edge: TestEdge
  upstream: Upstream
  kubeConfig(): KubeConfig
  /** A controller publishing to `store` (default the edge's) signed by `signer` (default the edge's key); started. Stopped by stop(). */
  controller(options?: Partial<ClusterControllerOptions> & { store?: KvStore; signer?: TableSigner }): Promise<ClusterController>
  /** Every line the controllers logged, prefixed with their identity. */
  logs: string[]
  stop(): Promise<void>
}

export async function startCluster(options: { api?: ApiServerOptions } = {}): Promise<TestCluster> {
  const api = await startApiServer({ tls: true, ...options.api })
  const upstream = await startUpstream({ name: 'whoami' })
  const edge = await startEdge()
  api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: upstream.port }))
  // The controllers' own namespace (their Lease), as deploy/namespace.yaml creates it.
  api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'traefik-edge' } })
  const logs: string[] = []
  const controllers: ClusterController[] = []
  let n = 0
  const kubeConfig = () => {
    const kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig())
    return kc
  }
  return {
    api,
    edge,
    upstream,
    kubeConfig,
    logs,
    controller: async ({ store, signer, ...overrides } = {}) => {
      const identity = overrides.identity ?? `replica-${++n}`
      const publisher = await TablePublisher.open({ store: store ?? edge.store, signer: signer ?? edge.local.signer, pointerMinIntervalMs: 0, graceMs: 30_000 })
      const controller = new ClusterController({
        kc: kubeConfig(),
        provider: {},
        publish: (built) => publisher.publish(built.table),
        // As npm run controller: api@internal and dashboard@internal serve the build's document.
        documents: internalDocuments(),
        identity,
        debounceMs: 20,
        minBackoffMs: 50,
        maxReconnectDelayMs: 300,
        log: (line) => logs.push(`${identity}: ${line}`),
        ...overrides,
      })
      controller.start()
      controllers.push(controller)
      return controller
    },
    stop: async () => {
      for (const c of controllers) await c.stop()
      await edge.stop()
      await upstream.close()
      await api.close()
    },
  }
}
