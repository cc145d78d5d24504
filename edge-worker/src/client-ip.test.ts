import { describe, expect, it } from 'vitest'
import { clientIp, trustedClient } from './client-ip.ts'

function request(headers: Record<string, string>, cf?: Record<string, unknown>): Request {
  const r = new Request('http://edge.example/', { headers })
  if (cf) Object.defineProperty(r, 'cf', { value: cf })
  return r
}

describe('client IP', () => {
  it('takes the socket peer workerd reports, without its port', () => {
    expect(clientIp(request({}, { clientIp: '10.1.2.3:51234' }), {})).toBe('10.1.2.3')
    expect(clientIp(request({}, { clientIp: '[2001:db8::1]:443' }), {})).toBe('2001:db8::1')
  })

  it('takes CF-Connecting-IP on Cloudflare (no socket peer), and never a spoofable header otherwise', () => {
    expect(clientIp(request({ 'cf-connecting-ip': '198.51.100.7' }), {})).toBe('198.51.100.7')
    expect(clientIp(request({ 'cf-connecting-ip': '6.6.6.6' }, { clientIp: '10.0.0.1:1' }), {})).toBe('10.0.0.1')
  })

  it('takes CF-Connecting-IP first for a Cloudflare table, without reading request.cf at all', () => {
    let reads = 0
    const holder = {
      get cf() {
        reads++
        return { clientIp: '10.0.0.1:1' }
      },
    }
    expect(clientIp(request({ 'cf-connecting-ip': '198.51.100.7' }), {}, holder, 'cloudflare')).toBe('198.51.100.7')
    expect(reads).toBe(0)
    // The same table on a local workerd, where nothing writes the header: the socket peer.
    expect(clientIp(request({}), {}, holder, 'cloudflare')).toBe('10.0.0.1')
    expect(reads).toBe(1)
  })

  it('takes the first value of the configured header when the operator has a front proxy', () => {
    expect(clientIp(request({ 'x-client': '203.0.113.9, 10.0.0.1' }, { clientIp: '10.0.0.1:1' }), { CLIENT_IP_HEADER: 'X-Client' })).toBe('203.0.113.9')
  })
})

describe('trusted clients (forwardedHeaders.trustedIPs)', () => {
  it('matches addresses and IPv4 CIDRs, and * for insecure', () => {
    expect(trustedClient('10.0.0.5', '10.0.0.0/8')).toBe(true)
    expect(trustedClient('11.0.0.5', '10.0.0.0/8, 192.168.1.1')).toBe(false)
    expect(trustedClient('192.168.1.1', '10.0.0.0/8, 192.168.1.1')).toBe(true)
    expect(trustedClient('::1', '*')).toBe(true)
    expect(trustedClient('10.0.0.5', undefined)).toBe(false)
    expect(trustedClient('10.0.0.5', '10.0.0.0/40')).toBe(false)
  })
})
