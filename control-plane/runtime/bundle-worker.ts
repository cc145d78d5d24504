// Bundles the edge worker (TypeScript, npm imports) into the one ES module workerd runs, the way
// wrangler does for `wrangler dev` and `wrangler deploy`: same entry, same conditions.
import { build } from 'esbuild'

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
  })
  const file = result.outputFiles[0]
  if (!file) throw new Error(`bundling ${entry} produced no output`)
  return file.text
}
