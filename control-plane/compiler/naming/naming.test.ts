import { describe, expect, it } from 'vitest'
import { kubeServiceKey, makeID, matchHash, normalize, routerKey, splitProvider, traefikServiceKey } from './naming.ts'

describe('normalize', () => {
  it.each([
    ['test.route', 'test-route'],
    ['multiple---hyphens', 'multiple-hyphens'],
    ['a_b', 'a-b'],
    ['-lead.and.trail-', 'lead-and-trail'],
    ['foo@file', 'foo-file'],
    ['ünïcode.名前', 'ünïcode-名前'],
    ['', ''],
    ['...', ''],
  ])('%j -> %j', (input, out) => {
    expect(normalize(input)).toBe(out)
  })
})

describe('makeID', () => {
  it('joins namespace and name without normalizing', () => {
    expect(makeID('default', 'my.opt')).toBe('default-my.opt')
    expect(makeID('', 'default')).toBe('default')
  })
})

describe('router keys', () => {
  it('hashes the raw match into 20 hex characters', () => {
    expect(matchHash('Host(`foo.com`) && PathPrefix(`/bar`)')).toBe('6b204d94623b3df4370c')
  })
  it('builds the documented example', () => {
    expect(routerKey('default', 'test.route', 'Host(`foo.com`) && PathPrefix(`/bar`)')).toBe('default-test-route-6b204d94623b3df4370c')
  })
  it('depends on the match only', () => {
    expect(routerKey('a', 'b', 'x')).not.toBe(routerKey('a', 'b', 'y'))
  })
})

describe('service keys', () => {
  it('keeps the port as written', () => {
    expect(kubeServiceKey('default', 'whoami', 80)).toBe('default-whoami-80')
    expect(kubeServiceKey('default', 'whoami', 'web')).toBe('default-whoami-web')
  })
  it('resolves TraefikService names with and without provider', () => {
    expect(traefikServiceKey('default', 'wrr.1')).toBe('default-wrr-1')
    expect(traefikServiceKey('', 'default-foo@kubernetescrd')).toBe('default-foo')
    expect(traefikServiceKey('default', 'external-main@file')).toBe('external-main@file')
  })
  it('splits on the last @', () => {
    expect(splitProvider('a@b@c')).toEqual({ name: 'a@b', provider: 'c' })
    expect(splitProvider('plain')).toEqual({ name: 'plain' })
  })
})
