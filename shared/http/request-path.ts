/**
 * The request path as Traefik's entry point hands it to its routers (server_entrypoint_tcp.go):
 *
 * - normalizePath, always: unreserved characters sent escaped (`%41`, `%2E`, `%7E`...) are
 *   decoded, every other escape is upper-cased (RFC 3986 6.2.2.1-2), and a `%` without two
 *   characters after it is refused (400, empty body);
 * - sanitizePath (`entryPoints.<name>.http.sanitizePath`, on by default; SANITIZE_PATH=false
 *   turns it off): Go's URL.JoinPath over the escaped path, which removes `.` and `..` segments
 *   and duplicate slashes (RFC 3986 6.2.2.3) and keeps a trailing slash.
 *
 * The result is what routes match and what the upstream receives, so `/x/../admin` and
 * `/%2e/admin` are `/admin` for an `/admin` router and its access controls, and never reach a
 * catch-all as they were sent. Encoded slashes stay encoded: `..%2F` is not a dot segment.
 * The edge (edge-worker/src/app.ts) and explain run it alike; Traefik's 400 is
 * edge-worker/src/entry-point/answers.ts.
 *
 * @module
 */

/** Go's URL.JoinPath() of the path alone: path.Clean, keeping one trailing slash. */
export function joinPathNormalized(path: string): string {
  if (path === '') return ''
  const rooted = path.startsWith('/')
  const out: string[] = []
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
    } else out.push(seg)
  }
  let cleaned = (rooted ? '/' : '') + out.join('/')
  if (cleaned === '') cleaned = rooted ? '/' : '.'
  if (path.endsWith('/') && !cleaned.endsWith('/')) cleaned += '/'
  return cleaned
}

/** Upper-case hex escape -> the unreserved character it stands for. */
const UNRESERVED = new Map<string, string>()
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') {
  UNRESERVED.set(`%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`, ch)
}

/** The path routers see and upstreams receive, or null when Traefik answers 400. */
export function entryPointPath(escaped: string, sanitize: boolean): string | null {
  // Most paths have nothing to change: three scans, no copy.
  const escapes = escaped.includes('%')
  if (!escapes && (!sanitize || (!escaped.includes('//') && !escaped.includes('/.')))) return escaped
  let path = escaped
  if (escapes) {
    const normalized = normalizeEscapes(escaped)
    if (normalized === null) return null
    path = normalized
  }
  return sanitize ? joinPathNormalized(path) : path
}

function normalizeEscapes(escaped: string): string | null {
  let out = ''
  let from = 0
  for (let i = escaped.indexOf('%'); i !== -1; i = escaped.indexOf('%', i + 3)) {
    if (i + 2 >= escaped.length) return null
    const code = escaped.slice(i, i + 3).toUpperCase()
    out += escaped.slice(from, i) + (UNRESERVED.get(code) ?? code)
    from = i + 3
  }
  return out + escaped.slice(from)
}
