// Helpers for end-to-end tests: the real worker on the real workerd runtime, real upstream servers
// on loopback, real signed tables in a real (in-memory) KV store.
//
//   import { startEdge, startUpstream, send, testCa } from './index.ts'
//
//   const up = await startUpstream({ host: '127.0.0.2' })          // JSON echo of what it received
//   const tlsUp = await startUpstream({ host: '127.0.0.3', tls: true }) // HTTPS, cert from testCa()
//   const edge = await startEdge({
//     input: { yaml },                         // manifests, or { config } (dynamic config), or { table }
//     entryPoints: ['web', 'websecure'],       // or { name, tls: { certificateChain, privateKey } }
//     trustedCertificates: [testCa().cert],    // so the worker trusts tlsUp
//   })
//   const res = await edge.request('/path', { headers: { host: 'a.example' } }) // { status, headers, body }
//   await edge.apply({ yaml: next })            // the next request is served from it; returns problems
//   up.requests                                 // every request the upstream received
//   await edge.stop(); await up.close()
//
// startEdge(options)      -> TestEdge { url(ep?), request(path, opts), apply(input), publish(table), store,
//                            local, logs, stop() }; options: input, provider, target, entryPoints,
//                            worker, trustedCertificates, vars, store, log.
//                            workerd log lines are collected in `logs` (or pass `log`).
// buildEdgeInput(input)   -> { table, problems }: what npm run edge would publish for that input.
// startUpstream(options)  -> Upstream { name, host, port, url, requests, close() }; `handler` replaces the echo.
// send(url, options)      -> { status, headers, body }: an HTTP(S) request with any headers, Host included
//                            (Node's fetch drops Host); `ca` for HTTPS.
// testCa(), leafCert({ dns, ip }) -> PEM { cert, key } from a throwaway CA (openssl CLI).
// serviceYaml({ name, addresses, port }), ingressRouteYaml({ name, match, service }) -> manifest YAML.
// descendants(pid), isRunning(pid) -> process-tree checks (/proc) for commands that must leave nothing.
// startFakeCloudflareKv() -> a local Workers KV REST API with scripted 429/5xx/partial failures.
// kvBinding(store)        -> the read half of a Workers KV binding over a KvStore, for Node-side tests.
export { buildEdgeInput, startEdge, type EdgeInput, type EdgeOptions, type TestEdge } from './edge.ts'
export { startUpstream, type Echo, type RecordedRequest, type Upstream, type UpstreamOptions } from './upstream.ts'
export { send, type Sent, type SendOptions } from './http.ts'
export { leafCert, testCa, type Pem } from './certs.ts'
export { kvBinding } from './kv-binding.ts'
export { ingressRouteYaml, serviceYaml } from './manifests.ts'
export { descendants, isRunning } from './processes.ts'
export { startFakeCloudflareKv, type FakeCloudflareKv } from './fake-cloudflare-kv.ts'
