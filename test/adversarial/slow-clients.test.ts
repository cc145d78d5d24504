/**
 * A request body trickled at a byte every few seconds (issue 17, item 11) kept its connection and
 * an upstream connection open for 150 s and more. Traefik bounds the whole read of a request,
 * body included, by the entry point's `respondingTimeouts.readTimeout` (60 s by default); the
 * edge does the same with READ_TIMEOUT per entry point. Tested with a short configured timeout.
 *
 * Through the worker on workerd, a raw socket for the client and a real upstream server.
 */
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestEdge } from '../support/index.ts'
import { startEdgeOverBothTransports } from '../support/echo-edge.ts'
import { eventually } from '../support/eventually.ts'

let upstream: Server
/** What the upstream saw of each request: bytes read and when it ended or was aborted. */
const seen: Array<{ bytes: number; end?: 'complete' | 'aborted'; at?: number }> = []
let edge: TestEdge

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const record: (typeof seen)[number] = { bytes: 0 }
    seen.push(record)
    req.on('data', (c: Buffer) => (record.bytes += c.length))
    req.on('end', () => {
      record.end = 'complete'
      record.at = Date.now()
      res.end(`got ${record.bytes}\n`)
    })
    req.on('aborted', () => {
      record.end ??= 'aborted'
      record.at ??= Date.now()
    })
    req.on('close', () => {
      record.end ??= 'aborted'
      record.at ??= Date.now()
    })
  })
  edge = await startEdgeOverBothTransports(upstream, { entryPoints: [{ name: 'web', vars: { READ_TIMEOUT: '1s' } }] })
})

afterAll(async () => {
  await edge?.stop()
  upstream?.closeAllConnections()
  await new Promise((r) => upstream?.close(r))
})

/** A POST whose body of `length` bytes is written one byte every `everyMs`; resolves when the server closes. */
function trickle(host: string, length: number, everyMs: number): Promise<{ answer: string; closedAfterMs: number }> {
  const port = Number(new URL(edge.url()).port)
  return new Promise((resolve) => {
    const started = Date.now()
    let answer = ''
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /upload HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n`)
      let sent = 0
      const timer = setInterval(() => {
        if (socket.destroyed || sent >= length) return clearInterval(timer)
        socket.write('x')
        sent++
      }, everyMs)
      socket.on('close', () => clearInterval(timer))
    })
    socket.on('data', (c: Buffer) => (answer += c.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }))
    // Bounded either way: the test fails on what it got by then.
    setTimeout(() => socket.destroy(), 8000).unref()
  })
}

describe('a trickled request body', () => {
  for (const host of ['fetch.example', 'socket.example']) {
    it(`${host}: is cut at the entry point read timeout: the client gets an answer, its connection and the upstream one are closed`, async () => {
      const before = seen.length
      const { answer, closedAfterMs } = await trickle(host, 1000, 300)
      expect(answer).toMatch(/^HTTP\/1\.1 504 /)
      expect(closedAfterMs).toBeLessThan(3500)
      // The upstream saw its request end without the body: aborted, never taken as complete.
      await eventually(() => expect(seen[before]?.end).toBe('aborted'), { timeoutMs: 2000 })
      expect(seen[before]!.bytes).toBeLessThan(1000)
    })

    it(`${host}: leaves a body that arrives in time alone`, async () => {
      const before = seen.length
      const { answer } = await trickle(host, 5, 50)
      expect(answer).toMatch(/^HTTP\/1\.1 200 /)
      expect(answer).toContain('got 5')
      expect(seen[before]!.end).toBe('complete')
    })
  }
})
