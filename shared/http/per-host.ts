/**
 * A pure function of a Host string, remembered per Host: a few thousand hosts repeat across
 * requests, and each miss allocates (slices, lower-casing) on the request path. Bounded and
 * forgotten whole when full, so hosts a client makes up cannot grow it.
 *
 * @module
 */

export function perHost<T>(compute: (host: string) => T, max = 4096): (host: string) => T {
  const known = new Map<string, T>()
  return (host) => {
    let value = known.get(host)
    if (value === undefined) {
      if (known.size >= max) known.clear()
      known.set(host, (value = compute(host)))
    }
    return value
  }
}
