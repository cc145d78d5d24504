// The Node modules the worker uses (workerd's nodejs_compat flag), declared one by one: the edge
// is typechecked with Workers types only, so a Node API it does not list here fails the check.

declare module 'node:zlib' {
  /** The zstd stream compress uses (./middlewares/compress/zstd.ts). */
  interface ZstdCompress {
    on(event: 'data', listener: (chunk: Uint8Array) => void): this
    on(event: 'error', listener: (err: Error) => void): this
    once(event: 'end', listener: () => void): this
    once(event: 'error', listener: (err: Error) => void): this
    write(chunk: Uint8Array): boolean
    flush(callback: () => void): void
    end(): void
  }
  export function createZstdCompress(): ZstdCompress
}
