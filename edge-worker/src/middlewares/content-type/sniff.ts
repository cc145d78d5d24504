/**
 * Go's http.DetectContentType (the WHATWG MIME sniffing algorithm as Go implements it): the
 * type of at most the first 512 bytes of a body, "application/octet-stream" when nothing fits.
 * Hand-written because it must give Go's exact answers (its table, its order, its charsets).
 *
 * @module
 */

export const SNIFF_LENGTH = 512

type Sig = (data: Uint8Array, firstNonWs: number) => string | null

const isWs = (b: number) => b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d || b === 0x20
const isTagTerminator = (b: number) => b === 0x20 || b === 0x3e

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))

/** An HTML tag, case-insensitive, after leading whitespace, followed by a space or `>`. */
function html(tag: string): Sig {
  const pat = bytes(tag.toUpperCase())
  return (data, ws) => {
    const d = data.subarray(ws)
    if (d.length < pat.length + 1) return null
    for (let i = 0; i < pat.length; i++) {
      let b = d[i]!
      if (pat[i]! >= 0x41 && pat[i]! <= 0x5a) b &= 0xdf
      if (b !== pat[i]) return null
    }
    return isTagTerminator(d[pat.length]!) ? 'text/html; charset=utf-8' : null
  }
}

function masked(mask: number[], pat: number[], skipWs: boolean, ct: string): Sig {
  return (data, ws) => {
    const d = skipWs ? data.subarray(ws) : data
    if (d.length < pat.length) return null
    for (let i = 0; i < pat.length; i++) if ((d[i]! & mask[i]!) !== pat[i]) return null
    return ct
  }
}

function exact(sig: string, ct: string): Sig {
  const pat = bytes(sig)
  return (data) => {
    if (data.length < pat.length) return null
    for (let i = 0; i < pat.length; i++) if (data[i] !== pat[i]) return null
    return ct
  }
}

const ff = (n: number) => Array<number>(n).fill(0xff)
const codes = (s: string) => [...bytes(s)]

const mp4: Sig = (data) => {
  if (data.length < 12) return null
  const boxSize = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0
  if (data.length < boxSize || boxSize % 4 !== 0) return null
  if (String.fromCharCode(...data.subarray(4, 8)) !== 'ftyp') return null
  for (let st = 8; st < boxSize; st += 4) {
    if (st === 12) continue // the version number
    if (String.fromCharCode(...data.subarray(st, st + 3)) === 'mp4') return 'video/mp4'
  }
  return null
}

const text: Sig = (data, ws) => {
  for (let i = ws; i < data.length; i++) {
    const b = data[i]!
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return null
  }
  return 'text/plain; charset=utf-8'
}

const SIGNATURES: Sig[] = [
  ...[
    '<!DOCTYPE HTML',
    '<HTML',
    '<HEAD',
    '<SCRIPT',
    '<IFRAME',
    '<H1',
    '<DIV',
    '<FONT',
    '<TABLE',
    '<A',
    '<STYLE',
    '<TITLE',
    '<B',
    '<BODY',
    '<BR',
    '<P',
    '<!--',
  ].map(html),
  masked(ff(5), codes('<?xml'), true, 'text/xml; charset=utf-8'),
  exact('%PDF-', 'application/pdf'),
  exact('%!PS-Adobe-', 'application/postscript'),
  masked([0xff, 0xff, 0, 0], [0xfe, 0xff, 0, 0], false, 'text/plain; charset=utf-16be'),
  masked([0xff, 0xff, 0, 0], [0xff, 0xfe, 0, 0], false, 'text/plain; charset=utf-16le'),
  masked([0xff, 0xff, 0xff, 0], [0xef, 0xbb, 0xbf, 0], false, 'text/plain; charset=utf-8'),
  exact('\x00\x00\x01\x00', 'image/x-icon'),
  exact('\x00\x00\x02\x00', 'image/x-icon'),
  exact('BM', 'image/bmp'),
  exact('GIF87a', 'image/gif'),
  exact('GIF89a', 'image/gif'),
  masked([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], codes('RIFF\x00\x00\x00\x00WEBPVP'), false, 'image/webp'),
  exact('\x89PNG\x0D\x0A\x1A\x0A', 'image/png'),
  exact('\xFF\xD8\xFF', 'image/jpeg'),
  masked([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], codes('FORM\x00\x00\x00\x00AIFF'), false, 'audio/aiff'),
  masked([0xff, 0xff, 0xff], codes('ID3'), false, 'audio/mpeg'),
  masked(ff(5), codes('OggS\x00'), false, 'application/ogg'),
  masked(ff(8), codes('MThd\x00\x00\x00\x06'), false, 'audio/midi'),
  masked([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], codes('RIFF\x00\x00\x00\x00AVI '), false, 'video/avi'),
  masked([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], codes('RIFF\x00\x00\x00\x00WAVE'), false, 'audio/wave'),
  mp4,
  exact('\x1A\x45\xDF\xA3', 'video/webm'),
  masked([...Array<number>(34).fill(0), 0xff, 0xff], [...Array<number>(34).fill(0), 0x4c, 0x50], false, 'application/vnd.ms-fontobject'),
  exact('\x00\x01\x00\x00', 'font/ttf'),
  exact('OTTO', 'font/otf'),
  exact('ttcf', 'font/collection'),
  exact('wOFF', 'font/woff'),
  exact('wOF2', 'font/woff2'),
  exact('\x1F\x8B\x08', 'application/x-gzip'),
  exact('PK\x03\x04', 'application/zip'),
  exact('Rar!\x1A\x07\x00', 'application/x-rar-compressed'),
  exact('Rar!\x1A\x07\x01\x00', 'application/x-rar-compressed'),
  exact('\x00\x61\x73\x6D', 'application/wasm'),
  text,
]

export function detectContentType(body: Uint8Array): string {
  const data = body.subarray(0, SNIFF_LENGTH)
  let ws = 0
  while (ws < data.length && isWs(data[ws]!)) ws++
  for (const sig of SIGNATURES) {
    const ct = sig(data, ws)
    if (ct !== null) return ct
  }
  return 'application/octet-stream'
}
