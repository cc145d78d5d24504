/**
 * Which of Traefik's entry points a request arrived on. A self-hosted workerd socket serves one
 * entry point (its worker's ENTRYPOINT). One deployed Worker receives both http and https requests
 * on Cloudflare, so it maps the request's scheme to an entry point: ENTRYPOINT_BY_SCHEME
 * (`http=web,https=websecure` when unset, Traefik's conventional names), so manifests written for
 * Traefik (`entryPoints: [websecure]` with `tls`) are served unchanged.
 *
 * @module
 */

export interface EntryPointEnv {
  /** The one entry point this listener serves (self-hosted sockets; wins over the scheme map). */
  ENTRYPOINT?: string
  /** `http=NAME,https=NAME`: the entry point of each scheme (default `http=web,https=websecure`). */
  ENTRYPOINT_BY_SCHEME?: string
}

interface BySchemes {
  http: string
  https: string
}

const DEFAULT: BySchemes = { http: 'web', https: 'websecure' }

let parsed: { text: string | undefined; map: BySchemes } = { text: undefined, map: DEFAULT }

/** The entry point of a request (`tls`: it came over https). */
export function entryPointOf(env: EntryPointEnv, tls: boolean): string {
  if (env.ENTRYPOINT) return env.ENTRYPOINT
  // Parsed once per value: the binding is the same string for the isolate's life.
  if (parsed.text !== env.ENTRYPOINT_BY_SCHEME) parsed = { text: env.ENTRYPOINT_BY_SCHEME, map: parseBySchemes(env.ENTRYPOINT_BY_SCHEME) }
  return tls ? parsed.map.https : parsed.map.http
}

/** `http=web, https=websecure` -> the map; an unknown scheme or a malformed item is an error (thrown once, logged by the runtime). */
export function parseBySchemes(text: string | undefined): BySchemes {
  const map = { ...DEFAULT }
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(https?)\s*=\s*([A-Za-z0-9_-]+)$/.exec(item)
    if (!m) throw new Error(`ENTRYPOINT_BY_SCHEME: "${item}" is not http=NAME or https=NAME`)
    map[m[1] as keyof BySchemes] = m[2]!
  }
  return map
}
