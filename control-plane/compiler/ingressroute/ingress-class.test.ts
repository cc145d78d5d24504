import { describe, expect, it } from 'vitest'
import type { IngressRoute } from '../crd/types.ts'
import { ingressClassOf, shouldProcess } from './ingress-class.ts'

const ir = (spec: Record<string, unknown>, annotation?: string): IngressRoute => ({
  kind: 'IngressRoute',
  metadata: { name: 'r', ...(annotation === undefined ? {} : { annotations: { 'kubernetes.io/ingress.class': annotation } }) },
  spec,
})

describe('ingressClassOf', () => {
  it('prefers the spec field, even empty, over the annotation', () => {
    expect(ingressClassOf(ir({ ingressClassName: 'a' }, 'b'))).toBe('a')
    expect(ingressClassOf(ir({ ingressClassName: '' }, 'b'))).toBe('')
  })
  it('falls back to the annotation when the field is absent or null', () => {
    expect(ingressClassOf(ir({}, 'b'))).toBe('b')
    expect(ingressClassOf(ir({ ingressClassName: null }, 'b'))).toBe('b')
    expect(ingressClassOf(ir({}))).toBe('')
  })
})

describe('shouldProcess', () => {
  it.each([
    ['', '', true],
    ['', 'traefik', true],
    ['', 'other', false],
    ['tchouk', '', false],
    ['tchouk', 'tchouk', true],
    ['traefik', '', false],
  ])('provider %j, object %j -> %s', (provider, object, want) => {
    expect(shouldProcess(provider, object)).toBe(want)
  })
})
