/**
 * WebSocket frames (RFC 6455 §5) on the wire, for relaying an upgrade the edge made over its own
 * socket: what a server sends (unmasked) is read here, what the edge sends as the client is
 * written masked. Extensions are never negotiated upstream, so RSV bits must be clear.
 *
 * @module
 */
import { WireError, type ByteReader } from './wire.ts'

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const

export interface Frame {
  fin: boolean
  opcode: number
  payload: Uint8Array
}

/** Largest frame accepted from an upstream (the runtime's own WebSocket limit is 1 MiB). */
export const MAX_FRAME_BYTES = 1 << 20

async function exactly(r: ByteReader, n: number): Promise<Uint8Array> {
  while (r.buffered < n) if (!(await r.fill())) throw new WireError('connection closed inside a WebSocket frame')
  return r.take(n).slice()
}

/** The next frame, or null when the connection ends between frames. */
export async function readFrame(r: ByteReader): Promise<Frame | null> {
  if (r.buffered === 0 && !(await r.fill())) return null
  const [b0, b1] = await exactly(r, 2)
  if (b0! & 0x70) throw new WireError('WebSocket frame with reserved bits set')
  let length = b1! & 0x7f
  if (length === 126) {
    const ext = await exactly(r, 2)
    length = (ext[0]! << 8) | ext[1]!
  } else if (length === 127) {
    const ext = await exactly(r, 8)
    length = 0
    for (const b of ext) length = length * 256 + b
  }
  if (length > MAX_FRAME_BYTES) throw new WireError('WebSocket frame too large')
  const mask = b1! & 0x80 ? await exactly(r, 4) : null
  const payload = length === 0 ? new Uint8Array(0) : await exactly(r, length)
  if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!
  return { fin: (b0! & 0x80) !== 0, opcode: b0! & 0x0f, payload }
}

/** One final frame; masked with `mask` (4 bytes) when given, as a client must. */
export function encodeFrame(opcode: number, payload: Uint8Array, mask: Uint8Array | null): Uint8Array {
  const n = payload.length
  const ext = n < 126 ? 0 : n < 65536 ? 2 : 8
  const head = 2 + ext + (mask ? 4 : 0)
  const out = new Uint8Array(head + n)
  out[0] = 0x80 | opcode
  out[1] = (mask ? 0x80 : 0) | (ext === 0 ? n : ext === 2 ? 126 : 127)
  if (ext === 2) {
    out[2] = n >> 8
    out[3] = n & 0xff
  } else if (ext === 8) {
    let v = n
    for (let i = 9; i >= 2; i--) {
      out[i] = v % 256
      v = Math.floor(v / 256)
    }
  }
  if (mask) out.set(mask, 2 + ext)
  for (let i = 0; i < n; i++) out[head + i] = mask ? payload[i]! ^ mask[i & 3]! : payload[i]!
  return out
}

/** The payload of a close frame: status code (if any) and reason. */
export function closePayload(code: number | undefined, reason: string): Uint8Array {
  if (code === undefined) return new Uint8Array(0)
  const text = new TextEncoder().encode(reason)
  const out = new Uint8Array(2 + text.length)
  out[0] = code >> 8
  out[1] = code & 0xff
  out.set(text, 2)
  return out
}

export function parseClose(payload: Uint8Array): { code: number | undefined; reason: string } {
  if (payload.length < 2) return { code: undefined, reason: '' }
  return { code: (payload[0]! << 8) | payload[1]!, reason: new TextDecoder().decode(payload.subarray(2)) }
}
