#!/usr/bin/env node
// Every fenced code block in every tracked README.md and docs/**/*.md, checked as a user would meet it.
//
//   ts, typescript     type-checked with the repo's strict flags, as an ES module, against the workspace packages
//                      resolved through their built `exports` (dist, no source condition), as an installed app
//                      would get them
//   js, javascript,    type-checked too (checkJs), and parsed by the running Node as plain ESM (`node --check`),
//   mjs                so syntax the supported Node versions cannot run (e.g. `await using` on Node 20) fails
//   json               JSON.parse
//   anything else      (sh, bash, text, http, …) listed, not checked
//
// A block can be marked by an HTML comment on the line(s) just before its fence (invisible on GitHub):
//
//   <!-- example: fragment -->        not self-contained: checked after the file's prelude (below) and any code
//                                      written after `fragment` in the comment, e.g.
//                                      <!-- example: fragment
//                                      declare const userAssertion: string
//                                      -->
//   <!-- example: run -->             complete and runnable: after the type-check it is run by node (ts through
//                                      tsx) with a timeout, and must exit 0
//   <!-- example: no-run <reason> --> a complete block that calls startEmulator() but must not be run (runs are
//                                      otherwise automatic for such blocks)
//   <!-- example: skip <reason> -->   not checked at all; the reason is required and printed. Keep these rare.
//
// The file prelude is one comment anywhere in a Markdown file, prepended to each of its fragments (declarations
// only: fragments are type-checked, never run):
//
//   <!-- example-prelude
//   import type { Emulator } from '@onbehalf/entra-emulator'
//   declare const emu: Emulator
//   -->
//
// Blocks are written to a temporary directory inside the repository (`.examples-check-*/`, removed afterwards)
// whose node_modules links the workspace packages and the third-party packages the workspace depends on.
// Prints one line per block (file:line, language, verdict) and a summary; exits 1 on any failure.
//
// Run after `pnpm build`:  node scripts/check-examples.mjs [file.md …]   (no arguments: every README and doc)
import { execFileSync, spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** Inside the repository, so the links below resolve like an installed app's; one per run. */
let workDir = ''
/** TypeScript 5.9 with its compiler API, the one typescript-eslint uses (the root `typescript` is 7, native). */
const ts = createRequire(join(root, 'tools', 'eslint-config', 'package.json'))('typescript')
const runTimeoutMs = 60_000

const typeChecked = new Map([
  ['ts', 'ts'],
  ['typescript', 'ts'],
  ['js', 'mjs'],
  ['javascript', 'mjs'],
  ['mjs', 'mjs'],
])
const markerKinds = new Set(['fragment', 'run', 'no-run', 'skip'])

/** Tracked READMEs and docs, without dependencies, changelogs and changesets. */
function markdownFiles() {
  const tracked = execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
  return (
    tracked
      .filter((file) => basename(file) === 'README.md' || file.startsWith('docs/'))
      // docs/api is generated from the TSDoc comments (TypeDoc), whose examples are excerpts by design.
      .filter((file) => !/(^|\/)(node_modules|\.changeset)\//.test(file) && !file.startsWith('docs/api/'))
      .filter((file) => basename(file) !== 'CHANGELOG.md')
      .map((file) => join(root, file))
  )
}

/**
 * The fenced blocks of one Markdown file, each with its language, first code line (1-based), code, and the
 * marker comment right before its fence; plus the file's prelude.
 */
export function parseMarkdown(text) {
  const lines = text.split('\n')
  const blocks = []
  let prelude = ''
  const preludeMatch = /<!--\s*example-prelude\s*\n([\s\S]*?)-->/.exec(text)
  if (preludeMatch) prelude = preludeMatch[1]
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, lang] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ *${fence[0]}{${fence.length},}\\s*$`).exec(lines[j])
      if (close) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    blocks.push({ line: i + 1, lang: lang.toLowerCase(), code: body.join('\n') + '\n', marker: markerBefore(lines, i) })
    i = j
  }
  return { blocks, prelude }
}

/** The `<!-- example: … -->` comment ending on the last non-blank line before line `index`, if any. */
function markerBefore(lines, index) {
  let end = index - 1
  while (end >= 0 && lines[end].trim() === '') end--
  if (end < 0 || !lines[end].trimEnd().endsWith('-->')) return undefined
  let start = end
  while (start >= 0 && !lines[start].includes('<!--')) start--
  if (start < 0) return undefined
  const comment = lines
    .slice(start, end + 1)
    .join('\n')
    .replace(/^[\s\S]*?<!--/, '')
    .replace(/-->\s*$/, '')
  const match = /^\s*example:\s*([\w-]+)([^\n]*)\n?([\s\S]*)$/.exec(comment)
  if (!match) return undefined
  const [, kind, reason, code] = match
  return { kind, reason: reason.trim(), code, line: start + 1 }
}

/** A node_modules where the workspace packages and every third-party package the workspace uses resolve. */
function linkModules() {
  const modules = join(workDir, 'node_modules')
  const linked = new Set()
  const link = (name, target) => {
    if (linked.has(name) || !existsSync(target)) return
    mkdirSync(dirname(join(modules, name)), { recursive: true })
    symlinkSync(target, join(modules, name), 'dir')
    linked.add(name)
  }
  const projects = [root]
  for (const group of ['packages', 'apps', 'tools', 'tests']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const entry of readdirSync(dir)) {
      if (existsSync(join(dir, entry, 'package.json'))) projects.push(join(dir, entry))
    }
  }
  // Workspace packages first: `@onbehalf/azure` is the package directory, resolved through its `exports`.
  for (const dir of projects) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    if (dir !== root && name) link(name, dir)
  }
  for (const dir of projects) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) link(name, join(dir, 'node_modules', name))
    }
  }
}

/** The repo's compiler options (tsconfig.base.json), as an app's: no source condition, nothing emitted. */
function compilerOptions() {
  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile)
  const { options, errors } = ts.convertCompilerOptionsFromJson(base.config.compilerOptions, root)
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, formatHost))
  delete options.customConditions
  return {
    ...options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    allowJs: true,
    checkJs: true,
    types: ['node'],
    typeRoots: [join(workDir, 'node_modules', '@types')],
    // Style rules, not mistakes: an example may show a value without using it (`const credential = …`), and
    // `process.env.CLIENT_ID` is how every user writes it.
    noPropertyAccessFromIndexSignature: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
  }
}

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
}

function runBlock(file, lang) {
  const args = lang === 'ts' ? [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), file] : [file]
  const env = { ...process.env }
  delete env.NODE_OPTIONS // no --conditions=@onbehalf/source: users get dist
  return new Promise((resolveRun) => {
    const started = Date.now()
    const child = spawn(process.execPath, args, { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), runTimeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      if (code === 0) resolveRun({ ok: true, seconds })
      else {
        const why = signal ? `killed by ${signal} after ${runTimeoutMs / 1000} s` : `exit code ${code}`
        resolveRun({ ok: false, seconds, error: `${why}\n${output.trim()}` })
      }
    })
  })
}

function syntaxCheck(file) {
  try {
    execFileSync(process.execPath, ['--check', file], { cwd: workDir, stdio: 'pipe', encoding: 'utf8' })
    return undefined
  } catch (error) {
    const text = String(error.stderr ?? error.message)
    const message = text.split('\n').find((l) => /Error/.test(l)) ?? text.trim()
    return `node ${process.version} cannot parse it as plain ESM: ${message.trim()}`
  }
}

async function main() {
  const args = process.argv.slice(2)
  const files = args.length > 0 ? args.map((f) => resolve(f)) : markdownFiles()
  workDir = mkdtempSync(join(root, '.examples-check-'))
  writeFileSync(join(workDir, 'package.json'), JSON.stringify({ private: true, type: 'module' }))
  // For tsx: an app's settings (no source condition).
  writeFileSync(
    join(workDir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext' } }),
  )
  linkModules()

  /** Every block with what to do with it and, at the end, its verdict. */
  const items = []
  for (const file of files) {
    const rel = relative(root, file)
    const { blocks, prelude } = parseMarkdown(readFileSync(file, 'utf8'))
    for (const block of blocks) {
      const item = { where: `${rel}:${block.line}`, lang: block.lang || '(none)', block, errors: [] }
      items.push(item)
      const { marker } = block
      if (marker && !markerKinds.has(marker.kind)) {
        item.errors.push(`unknown marker "example: ${marker.kind}" (one of ${[...markerKinds].join(', ')})`)
        continue
      }
      if (marker?.kind === 'skip' || marker?.kind === 'no-run') {
        if (!marker.reason) item.errors.push(`"example: ${marker.kind}" needs a reason`)
      }
      if (marker?.kind === 'skip') {
        item.skipped = marker.reason
        continue
      }
      const ext = typeChecked.get(block.lang)
      if (block.lang === 'json') {
        try {
          JSON.parse(block.code)
          item.verdict = 'parsed'
        } catch (error) {
          item.errors.push(`invalid JSON: ${error.message}`)
        }
        continue
      }
      if (!ext) {
        item.verdict = 'not checked'
        continue
      }
      const fragment = marker?.kind === 'fragment'
      const head = fragment ? `${prelude}${marker.code}` : ''
      if (fragment && ext === 'mjs' && head.trim() !== '') {
        item.errors.push('a js fragment cannot take a TypeScript prelude: write it as ts, or make it complete')
        continue
      }
      item.offset = head === '' ? 0 : head.split('\n').length - (head.endsWith('\n') ? 1 : 0)
      item.file = join(workDir, `${rel.replace(/[^\w.-]+/g, '_')}_${block.line}.${ext}`)
      writeFileSync(item.file, head + block.code)
      item.ext = ext
      item.run =
        marker?.kind === 'run' || (!fragment && marker?.kind !== 'no-run' && /\bstartEmulator\(/.test(block.code))
      if (fragment && marker?.kind === 'run') item.errors.push('a fragment cannot run')
    }
  }

  // One program for every block: the types of the dependencies are loaded once.
  const started = Date.now()
  const checked = items.filter((item) => item.file)
  const program = ts.createProgram(
    checked.map((item) => item.file),
    compilerOptions(),
  )
  const byFile = new Map(checked.map((item) => [item.file, item]))
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const item = diagnostic.file && byFile.get(diagnostic.file.fileName)
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (!item) {
      console.log(`FAIL  TypeScript: TS${diagnostic.code} ${message}`)
      process.exitCode = 1
      continue
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
    const inBlock = line - item.offset
    const at = inBlock >= 0 ? `line ${item.block.line + 1 + inBlock}` : `prelude line ${line + 1}`
    item.errors.push(`${at}: TS${diagnostic.code} ${message}`)
  }
  const typeCheckSeconds = ((Date.now() - started) / 1000).toFixed(1)

  for (const item of checked) {
    if (item.errors.length > 0) continue
    if (item.ext === 'mjs') {
      const error = syntaxCheck(item.file)
      if (error) item.errors.push(error)
    }
    if (item.errors.length === 0 && item.run) {
      const result = await runBlock(item.file, item.ext)
      if (result.ok) item.ran = result.seconds
      else item.errors.push(`run failed (${result.seconds} s): ${result.error}`)
    }
  }

  const counts = { checked: 0, ran: 0, parsed: 0, skipped: 0, 'not checked': 0, failed: 0 }
  for (const item of items) {
    let verdict
    if (item.errors.length > 0) {
      verdict = 'FAILED'
      counts.failed++
    } else if (item.skipped !== undefined) {
      verdict = `skipped: ${item.skipped}`
      counts.skipped++
    } else if (item.file) {
      const fragment = item.block.marker?.kind === 'fragment' ? ' (fragment)' : ''
      verdict = item.ran !== undefined ? `type-checked, ran in ${item.ran} s` : `type-checked${fragment}`
      counts.checked++
      if (item.ran !== undefined) counts.ran++
    } else {
      verdict = item.verdict
      counts[item.verdict]++
    }
    console.log(`${item.errors.length > 0 ? 'FAIL' : 'ok  '}  ${item.where}  ${item.lang}  ${verdict}`)
    for (const error of item.errors) console.log(`        ${error.replaceAll('\n', '\n        ')}`)
  }
  console.log(
    `\n${items.length} blocks in ${files.length} files: ${counts.checked} type-checked (${counts.ran} of them run), ` +
      `${counts.parsed} JSON parsed, ${counts['not checked']} not code (sh, text, …), ${counts.skipped} skipped, ` +
      `${counts.failed} failed (type-check ${typeCheckSeconds} s)`,
  )
  if (counts.failed > 0) process.exitCode = 1
  if (!process.env.KEEP_EXAMPLES) rmSync(workDir, { recursive: true, force: true })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main()
