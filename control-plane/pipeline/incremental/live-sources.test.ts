// LiveSources against indexSources over the sorted snapshot, after every change of random
// sequences (fast-check): the same object for every name, names several objects give included.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import { indexSources } from '../../diagnostics/sources.ts'
import { LiveSources } from './live-sources.ts'

const ORDER = ['IngressRoute', 'Middleware', 'TraefikService', 'TLSOption', 'TLSStore', 'ServersTransport', 'Service', 'EndpointSlice', 'Secret', 'Node']
const traefik = (kind: string, namespace: string, name: string, spec: unknown) =>
  ({ apiVersion: 'traefik.io/v1alpha1', kind, metadata: { name, namespace }, spec }) as KubeObject

const object = fc.oneof(
  fc
    .tuple(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y', 'x-y'), fc.array(fc.constantFrom('Host(`h`)', 'Host(`i`)', 'Path(`/`)'), { maxLength: 2 }))
    .map(([ns, name, matches]) => traefik('IngressRoute', ns, name, { routes: matches.map((match) => ({ match })) })),
  // `x-y` and a port named `y-80`... give names other objects give too.
  fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y-80', 'x-y')).map(([ns, name]) => traefik('TraefikService', ns, name, {})),
  fc.tuple(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y')).map(([ns, name]) => traefik('Middleware', ns, name, {})),
  fc
    .tuple(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y'), fc.constantFrom(80, 81))
    .map(
      ([ns, name, port]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'http', port }] } }) as KubeObject,
    ),
)
const change = fc.oneof({ weight: 3, arbitrary: object.map((o) => ({ object: o })) }, { weight: 1, arbitrary: object.map((o) => ({ gone: o })) })

const keyOf = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`
const sorted = (objects: Iterable<KubeObject>) => {
  const k = (o: KubeObject) => `${o.metadata?.namespace}/${o.metadata?.name}`
  return [...objects].sort((a, b) => ORDER.indexOf(a.kind!) - ORDER.indexOf(b.kind!) || (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0))
}

describe('LiveSources', () => {
  it('names the object indexSources names, after every change', () => {
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 40 }), (changes) => {
        const cluster = new Map<string, KubeObject>()
        const live = new LiveSources(ORDER)
        for (const c of changes) {
          if ('object' in c) {
            cluster.set(keyOf(c.object), c.object)
            live.set(c.object)
          } else {
            cluster.delete(keyOf(c.gone))
            live.set(undefined, { kind: c.gone.kind!, namespace: c.gone.metadata!.namespace!, name: c.gone.metadata!.name! })
          }
          const want = indexSources({ objects: sorted(cluster.values()) })
          for (const map of Object.keys(want) as Array<keyof typeof want>) {
            expect(Object.fromEntries([...live.index[map]].sort()), map).toEqual(Object.fromEntries([...want[map]].sort()))
          }
        }
      }),
      { numRuns: 200 },
    )
  })
})
