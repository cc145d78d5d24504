/**
 * Where expensive password checks (bcrypt: ./bcrypt.ts) run: one at a time per isolate, in
 * steps with the event loop turning between them, so a flood of wrong passwords costs other
 * requests a step (about 2 ms) rather than the whole flood (40 concurrent checks held an
 * unrelated route for 2.9 s). At most MAX_WAITING checks wait, and at most PER_CLIENT of those
 * (running included) come from one client address: beyond either, the request is refused (429)
 * without a check. Per isolate, as the verification cache is.
 *
 * @module
 */

export const BUSY = Symbol('password checks busy')

const MAX_WAITING = 32
const PER_CLIENT = 4

let running = false
const waiting: Array<() => void> = []
const perClient = new Map<string, number>()

/** Runs `steps` when its turn comes, yielding to the event loop between steps; BUSY when refused. */
export async function gated<T>(client: string, steps: () => Generator<void, T, void>): Promise<T | typeof BUSY> {
  const mine = perClient.get(client) ?? 0
  if (mine >= PER_CLIENT || waiting.length >= MAX_WAITING) return BUSY
  perClient.set(client, mine + 1)
  try {
    if (running) await new Promise<void>((resolve) => waiting.push(resolve))
    running = true
    try {
      const it = steps()
      for (;;) {
        const step = it.next()
        if (step.done) return step.value
        await new Promise((resolve) => setTimeout(resolve, 0))
      }
    } finally {
      // Handed on to the next in line, or free.
      const next = waiting.shift()
      if (next) next()
      else running = false
    }
  } finally {
    const left = (perClient.get(client) ?? 1) - 1
    if (left === 0) perClient.delete(client)
    else perClient.set(client, left)
  }
}
