// The examples checker against seeded blocks: the bad ones must fail, the good ones must pass, and the exit code
// must say so. Run by `pnpm check:examples` (and so by CI) before the checker runs on the real docs.
//   node --test scripts/check-examples.test.mjs
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const fence = '```'

/** Markdown with one block per case; `name` → [line of its fence, block]. */
const cases = {
  typeError: [
    'ts',
    `import { createMemoryTokenCache } from '@onbehalf/core'\nconst n: number = createMemoryTokenCache()\n`,
  ],
  good: [
    'ts',
    `import { createMemoryTokenCache } from '@onbehalf/core'\nconst cache = createMemoryTokenCache()\ncache.stats()\n`,
  ],
  awaitUsingJs: ['js', `await using x = { async [Symbol.asyncDispose]() {} }\nconsole.log(x)\n`],
  goodJs: [
    'js',
    `const { createMemoryTokenCache } = await import('@onbehalf/core')\nconsole.log(typeof createMemoryTokenCache)\n`,
  ],
  fragment: ['ts', `cache.stats().size.toFixed()\n`, `<!-- example: fragment\nconst extra: number = 1\n-->`],
  fragmentError: ['ts', `cache.nope()\n`, `<!-- example: fragment -->`],
  skipNoReason: ['ts', `this is not code\n`, `<!-- example: skip -->`],
  skipped: ['ts', `this is not code\n`, `<!-- example: skip pseudo-code, for the test -->`],
  runFails: ['ts', `process.exitCode = 3\n`, `<!-- example: run -->`],
  runs: ['ts', `const answer: number = 42\nif (answer !== 42) process.exit(1)\n`, `<!-- example: run -->`],
  badJson: ['json', `{ "a": 1, }\n`],
  shell: ['sh', `echo not checked\n`],
}

function fixture() {
  const lines = [
    '# Seeded examples',
    '',
    '<!-- example-prelude',
    "import { createMemoryTokenCache } from '@onbehalf/core'",
    'const cache = createMemoryTokenCache()',
    '-->',
    '',
  ]
  const at = {}
  for (const [name, [lang, code, marker]] of Object.entries(cases)) {
    if (marker) lines.push(...marker.split('\n'), '')
    at[name] = lines.length + 1
    lines.push(`${fence}${lang}`, ...code.trimEnd().split('\n'), fence, '')
  }
  return { text: lines.join('\n'), at }
}

/** Whether the running Node parses `await using` (Node ≥ 24 does; 20 and 22 do not). */
function nodeParsesAwaitUsing(dir) {
  const file = join(dir, 'probe.mjs')
  writeFileSync(file, cases.awaitUsingJs[1])
  return spawnSync(process.execPath, ['--check', file]).status === 0
}

test('seeded bad blocks fail, good ones pass, and the exit code is 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'check-examples-'))
  try {
    const { text, at } = fixture()
    const file = join(dir, 'SEEDED.md')
    writeFileSync(file, text)
    const result = spawnSync(process.execPath, [join(root, 'scripts', 'check-examples.mjs'), file], {
      cwd: root,
      encoding: 'utf8',
    })
    const output = result.stdout
    const verdict = (name) => {
      const line = output.split('\n').find((l) => l.includes(`SEEDED.md:${at[name]} `))
      assert.ok(line, `no line for ${name} (SEEDED.md:${at[name]}) in:\n${output}\n${result.stderr}`)
      return line
    }
    const failed = (name) => assert.match(verdict(name), /^FAIL/, `${name} should fail:\n${output}`)
    const passed = (name) => assert.match(verdict(name), /^ok/, `${name} should pass:\n${output}`)

    failed('typeError')
    assert.match(output, /TS2322/)
    passed('good')
    if (nodeParsesAwaitUsing(dir)) passed('awaitUsingJs')
    else {
      failed('awaitUsingJs')
      assert.match(output, /cannot parse it as plain ESM/)
    }
    passed('goodJs')
    passed('fragment')
    failed('fragmentError')
    assert.match(output, /TS2339/)
    failed('skipNoReason')
    assert.match(output, /needs a reason/)
    assert.match(verdict('skipped'), /^ok .*skipped: pseudo-code, for the test/)
    failed('runFails')
    assert.match(output, /exit code 3/)
    assert.match(verdict('runs'), /^ok .*ran in/)
    failed('badJson')
    assert.match(verdict('shell'), /not checked/)
    assert.equal(result.status, 1, output)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
