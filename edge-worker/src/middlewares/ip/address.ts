/**
 * IP addresses as Traefik's pkg/ip reads them (Go's netip.ParseAddr and net.ParseIP): strict
 * dotted IPv4 (no leading zeros), IPv6 with an optional zone, everything as 16 bytes.
 *
 * Hand-written rather than ipaddr.js: that library accepts forms Go refuses (octal and short
 * IPv4 parts), and the client address is parsed on every request of an allow-listed route.
 *
 * @module
 */

export interface Addr {
  /** 16 bytes; IPv4 as its IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
  bytes: Uint8Array
  /** Written as IPv4, or an IPv4-mapped IPv6 address: matched against IPv4 networks. */
  v4: boolean
  /** IPv6 zone (`%eth0`), ignored for matching. */
  zone: string
}

/** Go's netip.ParseAddr: null when `text` is not an address. */
export function parseAddr(text: string): Addr | null {
  if (text.includes(':')) return parseV6(text, true)
  const v4 = parseV4(text)
  return v4 ? { bytes: mapped(v4), v4: true, zone: '' } : null
}

/** Go's net.ParseIP: like parseAddr, but no zone. */
export function parseIP(text: string): Addr | null {
  return text.includes(':') ? parseV6(text, false) : parseAddr(text)
}

function parseV4(text: string): number[] | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null
    const n = Number(p)
    if (n > 255) return null
    out.push(n)
  }
  return out
}

function mapped(v4: number[]): Uint8Array {
  const b = new Uint8Array(16)
  b[10] = 0xff
  b[11] = 0xff
  b.set(v4, 12)
  return b
}

function parseV6(text: string, allowZone: boolean): Addr | null {
  let zone = ''
  const pct = text.indexOf('%')
  if (pct !== -1) {
    zone = text.slice(pct + 1)
    if (!allowZone || zone === '') return null
    text = text.slice(0, pct)
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groups = (s: string): number[] | null => {
    if (s === '') return []
    const out: number[] = []
    const parts = s.split(':')
    for (const [i, p] of parts.entries()) {
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseV4(p)
        if (!v4) return null
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null
        out.push(parseInt(p, 16))
      }
    }
    return out
  }
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  if (!head || !tail) return null
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && halves[0]!.includes('.')) return null
  let all: number[]
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length
    if (missing < 1) return null
    all = [...head, ...new Array<number>(missing).fill(0), ...tail]
  } else {
    if (head.length !== 8) return null
    all = head
  }
  const bytes = new Uint8Array(16)
  for (const [i, g] of all.entries()) {
    bytes[2 * i] = g >> 8
    bytes[2 * i + 1] = g & 0xff
  }
  return { bytes, v4: isMapped(bytes), zone }
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** Go's netip.Addr.String: dotted IPv4, `::ffff:a.b.c.d`, or RFC 5952 IPv6 with its zone. */
export function formatAddr(a: Addr, written4: boolean): string {
  const b = a.bytes
  if (written4) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  if (isMapped(b)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}${a.zone ? `%${a.zone}` : ''}`
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!)
  // The longest run of two or more zero groups (the first one on a tie) becomes `::`.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':')
  const text = best === -1 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`
  return a.zone ? `${text}%${a.zone}` : text
}

/** The first `bits` bits of the address, the rest zeroed (zone dropped): netip.Addr.Prefix(bits).Addr(). */
export function maskAddr(a: Addr, bits: number): Addr {
  const bytes = new Uint8Array(16)
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i))
    bytes[i] = a.bytes[i]! & ((0xff << (8 - keep)) & 0xff)
  }
  return { bytes, v4: isMapped(bytes), zone: '' }
}

/** Go's net.SplitHostPort host part, or null when `address` has no port. */
export function hostOfHostPort(address: string): string | null {
  if (address.startsWith('[')) {
    const end = address.indexOf(']')
    if (end === -1 || address[end + 1] !== ':') return null
    return address.slice(1, end)
  }
  const colon = address.lastIndexOf(':')
  if (colon === -1 || address.indexOf(':') !== colon) return null
  return address.slice(0, colon)
}
