import { describe, expect, it } from 'vitest'
import { OPCODE, closePayload, encodeFrame, parseClose, readFrame } from './websocket-frames.ts'
import { ByteReader } from './wire.ts'

function reader(...pieces: Uint8Array[]): ByteReader {
  return new ByteReader(
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of pieces) c.enqueue(p)
        c.close()
      },
    }).getReader(),
  )
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe('WebSocket frames', () => {
  it('reads RFC 6455 §5.7 examples: unmasked and masked "Hello"', async () => {
    expect(await readFrame(reader(new Uint8Array([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])))).toEqual({ fin: true, opcode: 1, payload: bytes('Hello') })
    const masked = new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])
    expect(await readFrame(reader(masked))).toEqual({ fin: true, opcode: 1, payload: bytes('Hello') })
    expect(await readFrame(reader(new Uint8Array([0x01, 0x03, 0x48, 0x65, 0x6c])))).toMatchObject({ fin: false, opcode: 1 })
  })

  it('writes the RFC example masked frame byte for byte', () => {
    expect([...encodeFrame(OPCODE.text, bytes('Hello'), new Uint8Array([0x37, 0xfa, 0x21, 0x3d]))]).toEqual([
      0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ])
  })

  it('round-trips 16-bit and 64-bit lengths, split across reads', async () => {
    for (const n of [125, 126, 300, 70000]) {
      const payload = new Uint8Array(n).map((_, i) => i & 0xff)
      const frame = encodeFrame(OPCODE.binary, payload, new Uint8Array([1, 2, 3, 4]))
      const got = await readFrame(reader(frame.subarray(0, 3), frame.subarray(3, 10), frame.subarray(10)))
      expect(got?.payload).toEqual(payload)
    }
  })

  it('ends cleanly between frames and fails inside one', async () => {
    expect(await readFrame(reader())).toBeNull()
    await expect(readFrame(reader(new Uint8Array([0x81, 0x05, 0x48])))).rejects.toThrow(/inside a WebSocket frame/)
    await expect(readFrame(reader(new Uint8Array([0xc1, 0x00])))).rejects.toThrow(/reserved bits/)
  })

  it('encodes and parses close payloads', () => {
    expect(parseClose(closePayload(1001, 'going away'))).toEqual({ code: 1001, reason: 'going away' })
    expect(parseClose(closePayload(undefined, ''))).toEqual({ code: undefined, reason: '' })
  })
})
