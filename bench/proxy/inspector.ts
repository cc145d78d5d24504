/**
 * A V8 CPU profile of a workerd process over its inspector (workerd runs with
 * `--inspector-addr` when WORKERD_INSPECTOR_ADDR is set: control-plane/runtime/workerd-process.ts),
 * and summaries of it: self and total time per function, in µs per request.
 */

export interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

interface InspectorSocket {
  onopen: (e: unknown) => void
  onerror: (e: unknown) => void
  onmessage: (e: { data: unknown }) => void
  send(data: string): void
}

/** One CDP session over the inspector's WebSocket. */
async function inspect(address: string): Promise<(method: string, params?: object) => Promise<unknown>> {
  const targets = (await (await fetch(`http://${address}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string; title?: string }>
  if (targets.length === 0) throw new Error('the inspector lists no target')
  // Node's global WebSocket (the DOM typings are not in this project's lib).
  const ws = new (globalThis as unknown as { WebSocket: new (url: string) => InspectorSocket }).WebSocket(targets[0]!.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = reject
  })
  let next = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  ws.onmessage = (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } }
    const p = msg.id === undefined ? undefined : pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id!)
    if (msg.error) p.reject(new Error(msg.error.message))
    else p.resolve(msg.result)
  }
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method, params }))
    })
}

/** Self time per key (function or file): share of all samples, and µs per request. */
export function summarize(profile: CpuProfile, key: (n: ProfileNode) => string, top: number, requests: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const k = key(byId.get(profile.samples[i]!)!)
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}% ${(us / requests).toFixed(1).padStart(6)} µs  ${k}`)
}

/** Total time (self + callees) per function name. */
export function inclusive(profile: CpuProfile, top: number, requests: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const total = new Map<string, number>()
  let all = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    all += dt
    const seen = new Set<string>()
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  return [...total.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / all).toFixed(1).padStart(5)}% ${(us / requests).toFixed(1).padStart(6)} µs  ${k}`)
}

export function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame
  return `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`.trim()
}

/** Profiles `work` (sampling every `intervalUs`) in the workerd whose inspector listens on `address`. */
export async function profiled(address: string, work: () => Promise<unknown>, intervalUs = 50): Promise<CpuProfile> {
  const send = await inspect(address)
  await send('Profiler.enable')
  await send('Profiler.setSamplingInterval', { interval: intervalUs })
  await send('Profiler.start')
  await work()
  return ((await send('Profiler.stop')) as { profile: CpuProfile }).profile
}

/** V8's sampling heap profile: a tree of call frames with the bytes sampled in each. */
export interface HeapProfileNode {
  callFrame: ProfileNode['callFrame']
  selfSize: number
  children: HeapProfileNode[]
}

/**
 * What `work` allocates in the workerd whose inspector listens on `address`, by function
 * (HeapProfiler sampling every `intervalBytes`, objects the collector has already freed
 * included). Unlike time, bytes do not move with the machine's load.
 */
export async function allocationsDuring(address: string, work: () => Promise<unknown>, intervalBytes = 256): Promise<HeapProfileNode> {
  const send = await inspect(address)
  await send('HeapProfiler.enable')
  await send('HeapProfiler.startSampling', { samplingInterval: intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  await work()
  return ((await send('HeapProfiler.stopSampling')) as { profile: { head: HeapProfileNode } }).profile.head
}

/** Bytes allocated per request, by function (self), largest first. */
export function summarizeAllocations(head: HeapProfileNode, top: number, requests: number): string[] {
  const self = new Map<string, number>()
  const walk = (n: HeapProfileNode) => {
    const k = label({ id: 0, callFrame: n.callFrame })
    self.set(k, (self.get(k) ?? 0) + n.selfSize)
    for (const c of n.children) walk(c)
  }
  walk(head)
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [
    `${(total / requests).toFixed(0).padStart(7)} bytes per request in all`,
    ...[...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)}% ${(bytes / requests).toFixed(0).padStart(6)} B  ${k}`),
  ]
}
