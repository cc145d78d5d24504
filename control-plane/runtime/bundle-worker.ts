// Bundles the edge worker (TypeScript, npm imports) into the one ES module workerd runs, the way
// wrangler does for `wrangler dev` and `wrangler deploy`: same entry, same conditions.
import { build, type Plugin } from 'esbuild'

// bcryptjs imports Node's `crypto` only as a fallback for WebCrypto and maps it to `false` in its
// package.json "browser" field, which esbuild honours on the browser platform only: same here.
const emptyNodeFallbacks: Plugin = {
  name: 'empty-node-fallbacks',
  setup(b) {
    b.onResolve({ filter: /^crypto$/ }, () => ({ path: 'crypto', namespace: 'empty-node-fallback' }))
    b.onLoad({ filter: /.*/, namespace: 'empty-node-fallback' }, () => ({ contents: 'export default undefined', loader: 'js' }))
  },
}

export async function bundleWorker(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2023',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    external: ['cloudflare:*', 'node:*'],
    logLevel: 'silent',
    plugins: [emptyNodeFallbacks],
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error(`bundling ${entry} produced no output`)
  return file.text
}
