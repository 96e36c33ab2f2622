#!/usr/bin/env node
// Builds web/dist when it is missing or older than any source of the console, so that
// `npm ci && npm start` (prestart) and the browser tests serve a current console with nothing else to do.
// Usage: node web/ensure-built.mjs [--force]
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const web = new URL('.', import.meta.url).pathname
const root = join(web, '..')
const stamp = join(web, 'dist', 'index.html')

function newest(path) {
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let m = 0
  for (const name of readdirSync(path)) m = Math.max(m, newest(join(path, name)))
  return m
}

// the console also imports a few pure server modules (e.g. the CBV vocabulary): they count too
const sources = [
  ...['src', 'index.html', 'vite.config.ts'].map((p) => join(web, p)),
  join(root, 'src', 'identifiers', 'epcis', 'cbv.ts'),
  join(root, 'src', 'identifiers', 'epcis', 'epcis-types.ts'),
  join(root, 'src', 'analytics', 'oee', 'oee-elements.ts'),
]
const force = process.argv.includes('--force')
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
const changed = Math.max(
  ...sources.filter(existsSync).map(newest),
  statSync(join(root, 'package-lock.json')).mtimeMs,
)
if (!force && built >= changed) process.exit(0)

console.error('building the web console (web/dist) …')
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
if (!existsSync(vite)) {
  console.error('vite is not installed: run `npm ci` (it installs the console build tools).')
  process.exit(1)
}
const r = spawnSync(
  process.execPath,
  [vite, 'build', '--config', join(web, 'vite.config.ts'), '--logLevel', 'warn'],
  {
    cwd: root,
    stdio: 'inherit',
    // always a production bundle: the test runner sets NODE_ENV=test, which would otherwise give React
    // and Ant Design their development builds (bigger, slower, with console warnings)
    env: { ...process.env, NODE_ENV: 'production' },
  },
)
process.exit(r.status ?? 1)
