/**
 * The byte budget holds for real: a child process with `--expose-gc` fills the default cache with 200,000
 * distinct users (2.1 KB access token + 1.1 KB refresh token each) and reports the heap it retains.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { defaultCacheMaxBytes } from '../src/memory-cache.ts'

const script = fileURLToPath(new URL('./fixtures/heap-many-users.ts', import.meta.url))

interface HeapReport {
  readonly users: number
  readonly heapDeltaBytes: number
  readonly bytes: number
  readonly maxBytes: number
  readonly size: number
  readonly maxEntries: number
}

function measure(users: number): Promise<HeapReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--conditions=@onbehalf/source', '--import', 'tsx', script, String(users)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as HeapReport)
      else reject(new Error(`heap probe exited with ${code}: ${err}`))
    })
  })
}

it('with the default byte budget, 200,000 distinct users keep the heap under the budget plus overhead', async () => {
  const report = await measure(200_000)
  expect(report.maxBytes).toBe(defaultCacheMaxBytes)
  // The byte budget, not the 50,000-entry bound, is what limits this cache.
  expect(report.size).toBeLessThan(report.maxEntries)
  expect(report.size).toBeGreaterThan(10_000)
  expect(report.bytes).toBeLessThanOrEqual(report.maxBytes)
  // What the heap really retains, measured after full collections: the budget plus 8 MiB for the Map's table.
  expect(report.heapDeltaBytes).toBeLessThanOrEqual(report.maxBytes + 8 * 1024 * 1024)
}, 600_000)
