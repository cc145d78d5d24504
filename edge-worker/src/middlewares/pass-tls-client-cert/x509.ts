/**
 * The few fields of an X.509 certificate (DER) that passTLSClientCert sends, read as Go's
 * crypto/x509 reads them: serial number, issuer and subject attributes in order, validity,
 * and the subject alternative names (DNS, email, IP, URI). Hand-written: a small DER walk
 * over known positions, instead of a general ASN.1/X.509 library in the worker bundle.
 *
 * @module
 */

export interface Attribute {
  /** Dotted OID. */
  type: string
  value: string
}

export interface CertificateFields {
  serial: bigint
  issuer: Attribute[]
  subject: Attribute[]
  /** Unix seconds. */
  notBefore: number
  notAfter: number
  dnsNames: string[]
  emails: string[]
  ips: string[]
  uris: string[]
}

interface Tlv {
  tag: number
  start: number
  end: number
}

function tlv(der: Uint8Array, at: number): Tlv {
  const tag = der[at]!
  let len = der[at + 1]!
  let start = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) throw new Error('unsupported DER length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!
    start += n
  }
  if (start + len > der.length) throw new Error('truncated DER')
  return { tag, start, end: start + len }
}

function children(der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  for (let at = parent.start; at < parent.end; ) {
    const t = tlv(der, at)
    out.push(t)
    at = t.end
  }
  return out
}

function oid(der: Uint8Array, t: Tlv): string {
  const parts: number[] = []
  let v = 0
  for (let i = t.start; i < t.end; i++) {
    v = v * 128 + (der[i]! & 0x7f)
    if (!(der[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80)
      else parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

function text(der: Uint8Array, t: Tlv): string {
  const bytes = der.subarray(t.start, t.end)
  if (t.tag === 0x1e) {
    let s = ''
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!)
    return s
  }
  if (t.tag === 0x14) return String.fromCharCode(...bytes) // T61String, read as Latin-1 as Go does
  return new TextDecoder().decode(bytes)
}

function name(der: Uint8Array, t: Tlv): Attribute[] {
  const out: Attribute[] = []
  for (const rdn of children(der, t)) {
    for (const atv of children(der, rdn)) {
      const [type, value] = children(der, atv)
      if (type && value) out.push({ type: oid(der, type), value: text(der, value) })
    }
  }
  return out
}

function time(der: Uint8Array, t: Tlv): number {
  const s = new TextDecoder().decode(der.subarray(t.start, t.end))
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
  if (!m) throw new Error(`unsupported certificate time ${JSON.stringify(s)}`)
  let year = Number(m[1])
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000
}

/** Go's net.IP.String(). */
export function ipString(b: Uint8Array): string {
  if (b.length === 4) return [...b].join('.')
  if (b.length !== 16) return `?${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return [...b.subarray(12)].join('.')
  const words: number[] = []
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!)
  // The longest run of two or more zero words becomes `::` (the first one on a tie).
  let best = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':')
  if (best < 0) return hex(words)
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`
}

export function readCertificate(der: Uint8Array): CertificateFields {
  const cert = tlv(der, 0)
  const tbs = children(der, cert)[0]!
  const items = children(der, tbs)
  let i = items[0]!.tag === 0xa0 ? 1 : 0
  const serialTlv = items[i++]!
  let serial = 0n
  for (let k = serialTlv.start; k < serialTlv.end; k++) serial = serial * 256n + BigInt(der[k]!)
  if (serialTlv.end > serialTlv.start && der[serialTlv.start]! & 0x80) serial -= 1n << BigInt(8 * (serialTlv.end - serialTlv.start))
  i++ // signature algorithm
  const issuer = name(der, items[i++]!)
  const [nb, na] = children(der, items[i++]!)
  const subject = name(der, items[i++]!)
  const out: CertificateFields = {
    serial,
    issuer,
    subject,
    notBefore: time(der, nb!),
    notAfter: time(der, na!),
    dnsNames: [],
    emails: [],
    ips: [],
    uris: [],
  }
  for (const item of items.slice(i)) {
    if (item.tag !== 0xa3) continue
    for (const ext of children(der, children(der, item)[0]!)) {
      const parts = children(der, ext)
      if (oid(der, parts[0]!) !== '2.5.29.17') continue
      const value = parts[parts.length - 1]!
      for (const gn of children(der, tlv(der, value.start))) {
        const bytes = der.subarray(gn.start, gn.end)
        if (gn.tag === 0x82) out.dnsNames.push(new TextDecoder().decode(bytes))
        else if (gn.tag === 0x81) out.emails.push(new TextDecoder().decode(bytes))
        else if (gn.tag === 0x87) out.ips.push(ipString(bytes))
        else if (gn.tag === 0x86) out.uris.push(new TextDecoder().decode(bytes))
      }
    }
  }
  return out
}
