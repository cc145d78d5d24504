import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../../test/support/traefik-data.ts'
import { FieldError } from '../diagnostics/diagnostics.ts'
import { isCrossProviderNamespaceAllowed, resolveReference, resolveServersTransport } from './references.ts'

const units = conformanceCases<{
  isCrossProviderNamespaceAllowed: Array<{
    desc: string
    allowList: string[] | null
    namespace: string
    want: boolean
  }>
}>('provider-unit-cases.json')

describe('isCrossProviderNamespaceAllowed (Traefik unit table)', () => {
  for (const c of units.isCrossProviderNamespaceAllowed) {
    it(c.desc, () => {
      expect(isCrossProviderNamespaceAllowed(c.allowList, c.namespace)).toBe(c.want)
    })
  }
})

const closed = { allowCrossNamespace: false, crossProviderNamespaces: null }
const open = { allowCrossNamespace: true, crossProviderNamespaces: null }

describe('resolveReference', () => {
  it('defaults the namespace to the parent and normalizes', () => {
    expect(resolveReference(closed, 'default', { name: 'multiple---hyphens' }, 'f')).toBe('default-multiple-hyphens')
  })
  it('rejects another namespace unless allowed', () => {
    expect(() => resolveReference(closed, 'default', { name: 'm', namespace: 'x' }, 'r')).toThrow(FieldError)
    expect(resolveReference(open, 'default', { name: 'm', namespace: 'x' }, 'r')).toBe('x-m')
  })
  it('keeps provider references verbatim and reports an ignored namespace', () => {
    const warnings: string[] = []
    const name = resolveReference(closed, 'default', { name: 'auth@file', namespace: 'x' }, 'r', (f) => warnings.push(f))
    expect(name).toBe('auth@file')
    expect(warnings).toEqual(['r.namespace'])
  })
  it('rejects @kubernetescrd without allowCrossNamespace', () => {
    expect(() => resolveReference(closed, 'default', { name: 'a-b@kubernetescrd' }, 'r')).toThrow(/allowCrossNamespace/)
    expect(resolveReference(open, 'default', { name: 'a-b@kubernetescrd' }, 'r')).toBe('a-b@kubernetescrd')
  })
  it('applies crossProviderNamespaces to the holder namespace', () => {
    const opts = { allowCrossNamespace: true, crossProviderNamespaces: ['default'] }
    expect(resolveReference(opts, 'default', { name: 'x@file' }, 'r')).toBe('x@file')
    expect(() => resolveReference(opts, 'other', { name: 'x@file' }, 'r')).toThrow(/crossProviderNamespaces/)
  })
})

describe('resolveServersTransport', () => {
  it('always prefixes the service namespace', () => {
    expect(resolveServersTransport(closed, 'default', 'default-test', 'f')).toBe('default-default-test')
    expect(resolveServersTransport(closed, 'default', '', 'f')).toBe('')
  })
  it('follows the @ rules', () => {
    expect(() => resolveServersTransport(closed, 'default', 'st@kubernetescrd', 'f')).toThrow()
    expect(resolveServersTransport(closed, 'default', 'st@file', 'f')).toBe('st@file')
  })
})
