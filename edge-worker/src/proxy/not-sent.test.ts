/**
 * Which transport failures count as "never sent" for retry: socket dial failures and dial
 * timeouts, any unreachable upstream over fetch(), never a failure after the request was written
 * on a socket, a response-head timeout or a client gone.
 */
import { describe, expect, it } from 'vitest'
import { failedBeforeSending } from './not-sent.ts'
import { ProxyError } from './transport.ts'

describe('failedBeforeSending', () => {
  it('tells dial failures from failures after the request was written', () => {
    expect(failedBeforeSending(new ProxyError('unreachable', 'connecting to 127.0.0.1:1: connection refused'), false)).toBe(true)
    expect(failedBeforeSending(new ProxyError('timeout', 'connecting took longer than 30000 ms'), false)).toBe(true)
    expect(failedBeforeSending(new ProxyError('unreachable', '127.0.0.1:8080: connection reset'), false)).toBe(false)
    expect(failedBeforeSending(new ProxyError('timeout', 'waiting for the response head took longer than 5 ms'), false)).toBe(false)
    expect(failedBeforeSending(new ProxyError('unreachable', 'Network connection lost.'), true)).toBe(true)
    expect(failedBeforeSending(new ProxyError('timeout', 'waiting for the response head took longer than 5 ms'), true)).toBe(false)
    expect(failedBeforeSending(new ProxyError('canceled', 'client closed the request'), true)).toBe(false)
    expect(failedBeforeSending(new Error('boom'), true)).toBe(false)
  })
})
