// Environment variables that the parts a command starts read (not the command's own flags), for
// the `environment:` section of the help of each command that starts them.

/** The workerd process (runtime/workerd-config.ts, runtime/workerd-process.ts): npm run edge and npm start. */
export const WORKERD_ENVIRONMENT = {
  WORKERD_V8_FLAGS: 'V8 flags for workerd, space-separated (profiling: e.g. --no-turbo-inlining)',
  WORKERD_INSPECTOR_ADDR: "HOST:PORT: opens workerd's V8 inspector there (CPU profiles)",
}

/** The local KV store, through wrangler (kv/wrangler-local-store.ts). */
export const WRANGLER_ENVIRONMENT = {
  WRANGLER_LOG: "wrangler's log level while the local KV store opens (default warn)",
}
