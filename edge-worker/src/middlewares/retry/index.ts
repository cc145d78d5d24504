/**
 * retry: sends the request through the rest of the chain again, up to `attempts` times in all,
 * when the upstream could not be reached (the proxy never sent it), and, with `status`, when the
 * upstream answered one of those statuses (idempotent methods only, unless
 * retryNonIdempotentMethod). As soon as an attempt's answer is kept, it goes to the client; the
 * last attempt's answer always does. Waits between attempts follow Traefik's exponential backoff:
 * initialInterval, growing to twice it over the attempts, randomised by ±50%. Past `timeout`
 * from the first attempt, the answer in hand is kept.
 *
 * Bodies: up to maxRequestBodyBytes (default 2 MiB) are kept to be sent again. A larger body is
 * sent once, with no retry at all (Traefik still retries unsent requests then, reusing a body a
 * dial failure left unread; a Workers body stream cannot be handed to fetch twice).
 *
 * @module
 */
import type { Retry } from '../../../../shared/dynamic/types.ts'
import { retryConfig } from '../../../../shared/middlewares/retry.ts'
import { wasNotSent } from '../../proxy/not-sent.ts'
import { bufferBody } from '../toolkit/body.ts'
import { copyRequest, type EdgeRequest, type Handler } from '../../request.ts'
import { inRanges } from '../../../../shared/http/status-ranges.ts'
import { bytesStream } from '../toolkit/bytes-stream.ts'

const RANDOMIZATION = 0.5

export function retry(config: Retry): (next: Handler) => Handler {
  const { attempts, status, initialMs, timeoutMs, maxBody, onNetwork, multiplier } = retryConfig(config)

  return (next) =>
    async function retry(req) {
      if (attempts === 1) return next(req)
      const idempotent = req.method !== 'POST' && req.method !== 'PATCH' && req.method !== 'LOCK'
      const statuses = config.retryNonIdempotentMethod || idempotent ? status : null
      const buffered = await bufferBody(req.body, maxBody)
      if (!buffered.complete) return next(copyRequest(req, { body: buffered.stream })) // too large to send twice
      const body = buffered.bytes
      const start = Date.now()
      let interval = initialMs
      for (let attempt = 1; ; attempt++) {
        const copy: EdgeRequest = copyRequest(req, { headers: new Headers(req.headers), body: body ? bytesStream(body) : null })
        const res = await next(copy)
        if (attempt === attempts) return res
        const timedOut = timeoutMs > 0 && Date.now() - start >= timeoutMs
        const again = !timedOut && ((onNetwork && wasNotSent(res)) || (statuses !== null && inRanges(statuses, res.status)))
        if (!again) return res
        await res.body?.cancel().catch(() => {})
        if (interval > 0) {
          const wait = interval * (1 - RANDOMIZATION + Math.random() * 2 * RANDOMIZATION)
          await new Promise((r) => setTimeout(r, wait))
          interval *= multiplier
        }
        if (req.signal?.aborted) return res
      }
    }
}
