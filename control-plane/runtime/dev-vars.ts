// Keeps the edge's variables in `.dev.vars`, the file `wrangler dev` reads secrets from, without
// touching the user's other lines.
import { readFile, writeFile } from 'node:fs/promises'

export async function writeDevVars(path: string, vars: Record<string, string>): Promise<void> {
  let lines: string[] = []
  try {
    lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const kept = lines.filter((l) => !Object.keys(vars).some((k) => l.startsWith(`${k}=`)))
  // dotenv syntax: single quotes keep JSON verbatim.
  const added = Object.entries(vars).map(([k, v]) => `${k}='${v}'`)
  await writeFile(path, [...kept, ...added].join('\n') + '\n', { mode: 0o600 })
}
