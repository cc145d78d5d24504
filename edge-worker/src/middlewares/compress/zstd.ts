/**
 * zstd for compress. The runtime encodes gzip and br itself when a response says so, but not
 * zstd: that one goes through node:zlib (workerd's nodejs_compat), flushed after every chunk
 * so a streamed response keeps streaming, as Traefik's writer flushes with the proxy.
 *
 * @module
 */
import { createZstdCompress } from 'node:zlib'

export function zstdStream(): TransformStream<Uint8Array, Uint8Array> {
  const z = createZstdCompress()
  let failed: Error | null = null
  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      z.on('data', (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
      z.on('error', (err: Error) => {
        failed = err
        controller.error(err)
      })
    },
    transform(chunk) {
      return new Promise<void>((resolve, reject) => {
        z.write(chunk)
        z.flush(() => (failed ? reject(failed) : resolve()))
      })
    },
    flush() {
      return new Promise<void>((resolve, reject) => {
        z.once('end', () => resolve())
        z.once('error', reject)
        z.end()
      })
    },
  })
}
