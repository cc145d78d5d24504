/** String equality in time that depends only on `b`'s length (secrets, digests, MACs). */
export function sameString(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < b.length; i++) diff |= a.charCodeAt(i % Math.max(1, a.length)) ^ b.charCodeAt(i)
  return diff === 0
}
