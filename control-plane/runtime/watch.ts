// Watches manifest files and folders and calls back once a burst of changes has settled.
// Files are watched through their folder, so editors that save by replacing the file (a rename
// over it) are seen too; folders are watched recursively, so new files count.
import { watch, type FSWatcher } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'

export interface Watcher {
  close(): void
}

export async function watchPaths(paths: readonly string[], onChange: () => void, debounceMs = 50): Promise<Watcher> {
  let timer: NodeJS.Timeout | undefined
  const fire = () => {
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  }
  const watchers: FSWatcher[] = []
  for (const path of paths.map((p) => resolve(p))) {
    const isDir = (await stat(path)).isDirectory()
    const name = basename(path)
    const watcher = isDir
      ? watch(path, { recursive: true }, fire)
      : watch(dirname(path), (_event, file) => {
          if (file === null || file === name) fire()
        })
    // A watched folder that disappears ends its watcher; the last good table keeps serving.
    watcher.on('error', () => {})
    watchers.push(watcher)
  }
  return {
    close() {
      clearTimeout(timer)
      for (const w of watchers) w.close()
    },
  }
}
