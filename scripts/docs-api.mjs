#!/usr/bin/env node
// The API reference (`pnpm docs:api`): TypeDoc over every public entry point of every published package (each
// `exports` subpath of packages/*/package.json, read from its TypeScript source), written to docs/api (git-ignored;
// CI builds it and the Pages workflow publishes it). TypeDoc runs on TypeScript 5.9 from tools/api-docs, since
// TypeScript 7 has no compiler API. Any warning fails the run: a broken {@link}, a type that a public signature
// uses but no entry point exports, an export without TSDoc.
//
//   node scripts/docs-api.mjs [--out docs/api]
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const outIndex = args.indexOf('--out')
const out = resolve(root, outIndex === -1 ? join('docs', 'api') : args[outIndex + 1])

const tool = join(root, 'tools', 'api-docs')
const typedoc = await import(pathToFileURL(createRequire(join(tool, 'package.json')).resolve('typedoc')).href)
const { Application, Converter, makeRecursiveVisitor, ReflectionKind } = typedoc

/** Every public entry point: `{ file, name }`, name as users import it (`@onbehalf/server/express`). */
function entryPoints() {
  const entries = []
  const dependencies = new Map()
  for (const folder of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', folder)
    let manifest
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    } catch {
      continue
    }
    if (manifest.private === true) continue
    const workspaceDependencies = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
    dependencies.set(
      manifest.name,
      workspaceDependencies.filter((name) => name.startsWith('@onbehalf/')),
    )
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (subpath === './package.json') continue
      const source = typeof target === 'object' ? target['@onbehalf/source'] : undefined
      if (typeof source !== 'string') {
        throw new Error(`${manifest.name}: export "${subpath}" has no "@onbehalf/source" condition to document.`)
      }
      entries.push({ file: join(dir, source), name: `${manifest.name}${subpath.slice(1)}`, pkg: manifest.name })
    }
  }
  // A package's own types are documented where it declares them, not under the first package that re-exports
  // them: packages come after the workspace packages they depend on.
  const rank = new Map()
  const depth = (name, seen = new Set()) => {
    if (rank.has(name)) return rank.get(name)
    const deps = seen.has(name) ? [] : (dependencies.get(name) ?? [])
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depth(dep, new Set([...seen, name]))))
    rank.set(name, value)
    return value
  }
  return entries.sort((a, b) => depth(a.pkg) - depth(b.pkg) || a.name.localeCompare(b.name))
}

const entries = entryPoints()
const names = new Map(entries.map(({ file, name }) => [file, name]))
const app = await Application.bootstrap({
  name: 'onbehalf API reference',
  entryPoints: entries.map(({ file }) => file),
  entryPointStrategy: 'resolve',
  tsconfig: join(tool, 'tsconfig.json'),
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  sort: ['kind', 'instance-first', 'alphabetical-ignoring-documents'],
  // No links to a Git host: the output must not depend on a remote.
  disableSources: true,
  githubPages: true,
  validation: { notExported: true, invalidLink: true, rewrittenLink: true, notDocumented: false },
  treatWarningsAsErrors: true,
  logLevel: 'Warn',
})

// Modules are named by their import specifier (`@onbehalf/server/express`), not by their path in the repository.
app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
  if (reflection.kind !== ReflectionKind.Module) return
  const file = context.getSymbolFromReflection(reflection)?.declarations?.[0]?.getSourceFile().fileName
  const name = file === undefined ? undefined : names.get(resolve(file))
  if (name !== undefined) reflection.name = name
})
const project = await app.convert()
if (project === undefined) {
  console.error('docs:api: TypeDoc could not convert the entry points (see the errors above).')
  process.exit(1)
}
app.validate(project)
// Every type a public signature uses is exported. (TypeDoc's `notExported` check only looks at types of the
// package.json next to the working directory, the private monorepo root, so it never fires here.)
const reported = new Set()
for (const reflection of Object.values(project.reflections)) {
  const visitor = makeRecursiveVisitor({
    reference(type) {
      if (type.reflection !== undefined || type.externalUrl !== undefined || type.isIntentionallyBroken()) return
      if (!type.package?.startsWith('@onbehalf/') || reported.has(`${type.package}:${type.qualifiedName}`)) return
      reported.add(`${type.package}:${type.qualifiedName}`)
      app.logger.warn(
        `${reflection.getFriendlyFullName()} uses ${type.qualifiedName} (${type.package}), which no entry point exports: export it with TSDoc, or keep it out of public signatures.`,
      )
    },
  })
  for (const type of [reflection.type, reflection.default]) type?.visit(visitor)
}
// Every export has TSDoc. (TypeDoc's own `notDocumented` check would also demand it of every member of every
// interface and every method signature; members are left to review.)
for (const module of project.getChildrenByKind(ReflectionKind.Module)) {
  for (const child of module.children ?? []) {
    if (child.kind === ReflectionKind.Reference) continue
    const documented = child.hasComment() || (child.signatures ?? []).some((signature) => signature.hasComment())
    if (!documented) app.logger.warn(`${module.name}: the export "${child.name}" has no TSDoc comment.`)
  }
}
rmSync(out, { recursive: true, force: true })
await app.generateDocs(project, out)

const { errorCount, warningCount } = app.logger
if (errorCount > 0 || warningCount > 0) {
  console.error(`docs:api: ${String(errorCount)} errors, ${String(warningCount)} warnings (warnings fail the run).`)
  process.exit(1)
}
console.log(`docs:api: ${String(entries.length)} entry points documented in ${relative(root, out)}/`)
