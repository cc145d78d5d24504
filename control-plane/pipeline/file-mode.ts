// The control plane in file mode: build the edge table from manifest files, publish it, and
// rebuild on every change. A change that cannot be read or parsed keeps the last good table
// serving and is reported; so are the objects a build skipped, whenever that list changes.
import type { PublishResult } from '../publish/publisher.ts'
import { watchPaths } from '../runtime/watch.ts'
import type { Built } from './built.ts'

export interface FileModeOptions {
  paths: string[]
  build: (paths: string[]) => Promise<Built>
  publish: (built: Built) => Promise<PublishResult>
  /** Lines for stderr. */
  report: (line: string) => void
  debounceMs?: number
  /** The first build, when the caller already made it (to fail fast before starting anything). */
  initial?: Built
}

export interface FileMode {
  /** Resolves when no rebuild is running or queued. */
  idle(): Promise<void>
  stop(): void
}

/** Builds and publishes once (throwing if the manifests cannot be read), then watches. */
export async function startFileMode(options: FileModeOptions): Promise<FileMode> {
  let lastProblems = ''
  const buildAndPublish = async (ready?: Built) => {
    const built = ready ?? (await options.build(options.paths))
    const problems = built.problems.join('\n')
    if (problems !== lastProblems && built.problems.length > 0) for (const line of built.problems) options.report(line)
    lastProblems = problems
    return options.publish(built)
  }
  await buildAndPublish(options.initial)

  let running: Promise<void> | null = null
  let again = false
  const rebuild = (): void => {
    if (running) {
      again = true
      return
    }
    running = buildAndPublish()
      .then((r) => {
        if (r.changed) options.report(`configuration reloaded (table ${r.manifest.routes.version.slice(0, 12)})`)
      })
      .catch((err: unknown) => options.report(`${(err as Error).message}; still serving the last good configuration`))
      .finally(() => {
        running = null
        if (again) {
          again = false
          rebuild()
        }
      })
  }
  const watcher = await watchPaths(options.paths, rebuild, options.debounceMs)
  return {
    async idle() {
      while (running) await running
    },
    stop: () => watcher.close(),
  }
}
