#!/usr/bin/env node
// shellcheck over every shell script the repository tracks: each `*.sh` file, `.ci/run`, and any other tracked
// file whose first line is a sh/bash shebang. Exits non-zero on any finding (every severity, shellcheck's
// default), so CI fails on a new warning the day it is written.
// Run: node scripts/check-shell.mjs (needs `shellcheck` on PATH; Debian: apt-get install shellcheck)
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, openSync, readSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const shebang = /^#!\s*(?:\/usr\/bin\/env\s+(?:-S\s+)?)?(?:\/usr)?(?:\/bin\/)?(?:ba|da)?sh\b/

/** The first line of a file, read without loading the whole file. */
function firstLine(path) {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(128)
    const read = readSync(fd, buffer, 0, buffer.length, 0)
    return buffer.subarray(0, read).toString('utf8').split('\n')[0]
  } finally {
    closeSync(fd)
  }
}

const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean)
const scripts = tracked.filter((file) => {
  if (file.endsWith('.sh') || file === '.ci/run') return true
  // Files with an extension are something else (.mjs, .ts, .md …) whatever their first line says.
  if (/\.[^/]+$/.test(file.slice(file.lastIndexOf('/') + 1))) return false
  try {
    return shebang.test(firstLine(join(root, file)))
  } catch {
    return false // a tracked file deleted in the work tree
  }
})

if (!scripts.includes('.ci/run')) {
  console.error('check-shell: .ci/run is not tracked; run this from the repository.')
  process.exit(1)
}

const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' })
if (version.error !== undefined || version.status !== 0) {
  console.error('check-shell: shellcheck is not installed. Install it (Debian: apt-get install shellcheck) and rerun.')
  process.exit(1)
}

console.log(`shellcheck ${/version: (\S+)/.exec(version.stdout)?.[1] ?? '?'} on ${scripts.length} files:`)
for (const file of scripts) console.log(`  ${file}`)
const result = spawnSync('shellcheck', ['--external-sources', ...scripts], { cwd: root, stdio: 'inherit' })
if (result.status !== 0) {
  console.error(`check-shell: shellcheck found problems (exit ${String(result.status)}).`)
  process.exit(1)
}
console.log('check-shell: no findings')
