import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { appendForwardedFor, entryPointHeaders, forwardedPort, isWebSocketUpgrade, readIncoming, removeHopByHop, type EntryPointInfo } from './forwarded.ts'

const info: EntryPointInfo = { clientIp: '10.0.0.1', tls: false, host: 'app.example', hostname: 'edge-1', trusted: false }

function entry(headers: Record<string, string>, extra: Partial<EntryPointInfo> = {}): Record<string, string> {
  return Object.fromEntries(entryPointHeaders(new Headers(headers), { ...info, ...extra }))
}

describe('entry point forwarded headers (Traefik forwardedHeaders)', () => {
  it('sets the forwarded headers from the connection', () => {
    expect(entry({})).toEqual({
      'x-real-ip': '10.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '80',
      'x-forwarded-host': 'app.example',
      'x-forwarded-server': 'edge-1',
    })
  })

  it('takes the port from Host, else 443 for TLS', () => {
    expect(entry({}, { host: 'app.example:8443' })['x-forwarded-port']).toBe('8443')
    expect(entry({}, { host: '[::1]:9000' })['x-forwarded-port']).toBe('9000')
    expect(entry({}, { tls: true })).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' })
  })

  it("drops what an untrusted client sent, underscore spellings included, but keeps a trusted one's", () => {
    const sent = { 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https', x_real_ip: '1.1.1.1', 'x-forwarded-prefix': '/p' }
    const untrusted = entry(sent)
    expect(untrusted['x-forwarded-for']).toBeUndefined()
    expect(untrusted['x_real_ip']).toBeUndefined()
    expect(untrusted['x-forwarded-prefix']).toBeUndefined()
    expect(untrusted['x-forwarded-proto']).toBe('http')
    const trusted = entry(sent, { trusted: true })
    expect(trusted).toMatchObject({ 'x-forwarded-for': '1.1.1.1', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-prefix': '/p' })
  })

  it('always writes X-Forwarded-Server, even over a trusted value', () => {
    expect(entry({ 'x-forwarded-server': 'other' }, { trusted: true })['x-forwarded-server']).toBe('edge-1')
  })

  it('says ws or wss for WebSocket upgrades and keeps the upgrade headers', () => {
    const h = entry({ connection: 'keep-alive, Upgrade', upgrade: 'websocket' }, { tls: true })
    expect(h['x-forwarded-proto']).toBe('wss')
    expect(h.connection).toBe('Upgrade')
    expect(h.upgrade).toBe('websocket')
  })

  it('removes headers named in Connection, except the managed X- headers', () => {
    const h = entry({ connection: 'x-secret, x-forwarded-host, close', 'x-secret': 's' })
    expect(h['x-secret']).toBeUndefined()
    expect(h.connection).toBeUndefined()
    expect(h['x-forwarded-host']).toBe('app.example')
  })

  it('strips an IPv6 zone from X-Real-Ip', () => {
    expect(entry({}, { clientIp: 'fe80::1%eth0' })['x-real-ip']).toBe('fe80::1')
  })
})

describe('readIncoming', () => {
  it('finds Host, Connection, an upgrade, spoofed names and what a trusted client set, in one pass', () => {
    const incoming = new Headers({
      host: 'App.example:8080',
      connection: 'keep-alive, Upgrade',
      upgrade: 'websocket',
      'x-real-ip': '1.1.1.1',
      x_forwarded_for: '2.2.2.2',
      'x-forwarded-host': 'h',
      accept: '*/*',
    })
    const read = readIncoming(incoming)
    expect(read).toMatchObject({
      host: 'App.example:8080',
      connection: 'keep-alive, Upgrade',
      upgrade: 'websocket',
      realIp: '1.1.1.1',
      forwardedHost: 'h',
      proto: '',
      port: '',
      hop: true,
    })
    expect(read.spoofed?.sort()).toEqual(['x-forwarded-host', 'x-real-ip', 'x_forwarded_for'])
    expect(Object.fromEntries(read.copy)).toEqual(Object.fromEntries(incoming))
    expect(read.copy).not.toBe(incoming)
  })

  it('gives no upgrade unless Connection names it, and nulls without Host or Connection', () => {
    expect(readIncoming(new Headers({ upgrade: 'websocket' }))).toMatchObject({ upgrade: null, host: null, connection: null, hop: true, spoofed: null })
    expect(readIncoming(new Headers({ accept: '*/*' })).hop).toBe(false)
  })
})

describe('proxy headers', () => {
  it('removes hop-by-hop headers, keeping TE: trailers on requests and upgrades', () => {
    const req = new Headers({ connection: 'x-hop', 'x-hop': '1', 'keep-alive': '5', te: 'trailers, gzip', 'proxy-authorization': 'x', 'x-end': '1' })
    removeHopByHop(req, true)
    expect(Object.fromEntries(req)).toEqual({ te: 'trailers', 'x-end': '1' })
    const up = new Headers({ connection: 'Upgrade', upgrade: 'websocket' })
    expect(isWebSocketUpgrade(up)).toBe(true)
    removeHopByHop(up, true)
    expect(Object.fromEntries(up)).toEqual({ connection: 'Upgrade', upgrade: 'websocket' })
    const res = new Headers({ 'transfer-encoding': 'chunked', te: 'trailers', 'content-type': 'text/plain' })
    removeHopByHop(res, false)
    expect(Object.fromEntries(res)).toEqual({ 'content-type': 'text/plain' })
  })

  it('appends the client to X-Forwarded-For', () => {
    const h = new Headers()
    appendForwardedFor(h, '10.0.0.1')
    expect(h.get('x-forwarded-for')).toBe('10.0.0.1')
    appendForwardedFor(h, '10.0.0.2')
    expect(h.get('x-forwarded-for')).toBe('10.0.0.1, 10.0.0.2')
  })
})

describe('entry point facts', () => {
  const facts = (headers: Record<string, string>, trusted = false) => {
    const f = { clean: false }
    entryPointHeaders(new Headers(headers), { clientIp: '10.0.0.1', tls: false, host: 'a.example', hostname: 'edge', trusted }, f)
    return f.clean
  }

  it('are clean when nothing hop-by-hop is left for the proxy', () => {
    expect(facts({ accept: '*/*' })).toBe(true)
    expect(facts({ connection: 'keep-alive' })).toBe(true)
    expect(facts({ 'x-forwarded-for': '1.2.3.4' })).toBe(true)
  })

  it('are not clean with a hop-by-hop header, an upgrade, or a trusted client', () => {
    expect(facts({ 'keep-alive': 'timeout=5' })).toBe(false)
    expect(facts({ te: 'trailers' })).toBe(false)
    expect(facts({ 'proxy-authorization': 'x' })).toBe(false)
    expect(facts({ connection: 'Upgrade', upgrade: 'websocket' })).toBe(false)
    expect(facts({ accept: '*/*' }, true)).toBe(false)
  })
})

describe('forwardedPort', () => {
  // The scan by hand must read every Host as the regexp it replaced did.
  const byRegexp = (host: string, tls: boolean) => /^(?:\[[^\]]*\]|[^:]*):(\d+)$/.exec(host)?.[1] || (tls ? '443' : '80')

  it('takes the port of name:port and [v6]:port, else the scheme default', () => {
    expect(forwardedPort('a.example:8080', 'http', false)).toBe('8080')
    expect(forwardedPort('[::1]:8443', 'https', true)).toBe('8443')
    expect(forwardedPort('a.example', 'http', false)).toBe('80')
    expect(forwardedPort('a.example', 'wss', false)).toBe('443')
    expect(forwardedPort('a:b:80', 'http', false)).toBe('80')
    expect(forwardedPort('[a]b:81', 'http', false)).toBe('81')
    expect(forwardedPort('[a]]:81', 'http', false)).toBe('81')
    expect(forwardedPort('[a:b]c:81', 'http', false)).toBe('80')
    expect(forwardedPort(':81', 'http', false)).toBe('81')
    expect(forwardedPort('a:', 'http', false)).toBe('80')
  })

  it('agrees with the regexp on any host', () => {
    const host = fc.stringMatching(/^[[\]:0-9a.]{0,10}$/)
    fc.assert(fc.property(fc.oneof(host, fc.string()), fc.boolean(), (h, tls) => forwardedPort(h, tls ? 'https' : 'http', tls) === byRegexp(h, tls)))
  })
})
