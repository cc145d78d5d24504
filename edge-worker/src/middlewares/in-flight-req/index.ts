/**
 * inFlightReq: at most `amount` requests per source (sourceCriterion; default the request's
 * Host) in flight at once; one more answers 429 `max connections reached: <amount>` (oxy
 * connlimit's error handler). As in oxy, an amount of 0 or less refuses every request.
 * A request stays in flight until its response body has been sent (or the client went away).
 * Per isolate by default; exact across isolates with the global limits (../../durable/limits.ts).
 *
 * @module
 */
import type { InFlightReq } from '../../../../shared/dynamic/types.ts'
import { inFlightReqConfig } from '../../../../shared/middlewares/in-flight-req.ts'
import { globalLimits } from '../../durable/limits.ts'
import { httpError, type EdgeRequest, type Handler } from '../../request.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'

export function inFlightReq(config: InFlightReq, context: MiddlewareContext): (next: Handler) => Handler {
  const { amount, source } = inFlightReqConfig(config)
  const global = globalLimits(context)
  const counts = new Map<string, number>()
  const acquire = async (key: string): Promise<boolean> => {
    if (global) return global.acquire(`${context.name}:${key}`, amount)
    const n = counts.get(key) ?? 0
    if (n >= amount) return false
    counts.set(key, n + 1)
    return true
  }
  const release = (key: string, req: EdgeRequest): void => {
    if (global) {
      // Kept alive past the response: the slot must be given back even once the client is served.
      req.ctx.waitUntil(global.release(`${context.name}:${key}`).catch((err) => context.edge.log(`[edge] inFlightReq ${context.name}: release failed: ${err}`)))
      return
    }
    const n = (counts.get(key) ?? 1) - 1
    if (n <= 0) counts.delete(key)
    else counts.set(key, n)
  }
  return (next) =>
    async function inFlightReq(req) {
      const key = source(req)
      let admitted: boolean
      try {
        admitted = await acquire(key)
      } catch (err) {
        // Fails closed: a limit that cannot be counted is not skipped.
        context.edge.log(`[edge] inFlightReq ${context.name}: ${(err as Error).message}`)
        return httpError(500, 'Internal Server Error')
      }
      if (!admitted) {
        return new Response(`max connections reached: ${amount}`, { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8' } })
      }
      let res: Response
      try {
        res = await next(req)
      } catch (err) {
        release(key, req)
        throw err
      }
      return releasedAfterBody(res, () => release(key, req))
    }
}

/** The response with `done` called once its body has been sent, failed or been cancelled. */
export function releasedAfterBody(res: Response, done: () => void): Response {
  if (!res.body || res.webSocket) {
    done()
    return res
  }
  let called = false
  const once = () => {
    if (!called) {
      called = true
      done()
    }
  }
  const reader = res.body.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read()
        if (end) {
          once()
          controller.close()
        } else controller.enqueue(value)
      } catch (err) {
        once()
        controller.error(err)
      }
    },
    cancel(reason) {
      once()
      return reader.cancel(reason)
    },
  })
  return new Response(body, res)
}
