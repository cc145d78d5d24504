import { describe, expect, it } from 'vitest'
import { hostAllowed, isLoopbackAddress } from './access.ts'

describe('the access guard', () => {
  const names = new Set(['edge-controller.internal'])
  it('answers IP literals, loopback names and the names it was given, any port or case', () => {
    for (const host of [
      undefined,
      '127.0.0.1',
      '127.0.0.1:9000',
      '10.1.2.3:9000',
      '[::1]:9000',
      '[fd00::2]',
      'localhost',
      'LOCALHOST:80',
      'app.localhost:8788',
      'edge-controller.internal:9000',
      'Edge-Controller.Internal.',
    ]) {
      expect(hostAllowed(host, names), String(host)).toBe(true)
    }
  })

  it('refuses other names, and what only looks like an address', () => {
    for (const host of [
      'evil.example',
      'evil.example:9000',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
      '[::1].evil',
      '[::1]:x',
      '127.0.0.1:x',
      'edge-controller.internal.evil',
      '',
      '1.2.3',
    ]) {
      expect(hostAllowed(host, names), host).toBe(false)
    }
  })

  it('knows which addresses are loopback only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopbackAddress)).toBe(true)
    expect(['0.0.0.0', '::', '10.0.0.1', '192.0.2.2'].some(isLoopbackAddress)).toBe(false)
  })
})
