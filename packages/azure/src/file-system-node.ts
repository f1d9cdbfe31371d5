/**
 * `#file-system` where the runtime has `node:fs/promises` (Node, and Deno and Bun through the `node` condition).
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import type { FileInfo } from './file-system-types.ts'

/**
 * The file's kind, size and modification time.
 *
 * @example
 * ```ts
 * const { isFile, mtimeMs, size } = await statFile('/etc/certs/middle-tier.pem')
 * ```
 */
export async function statFile(path: string): Promise<FileInfo> {
  const info = await stat(path)
  return { isFile: info.isFile(), mtimeMs: info.mtimeMs, size: info.size }
}

/**
 * The file's content.
 *
 * @example
 * ```ts
 * const bytes = await readFileBytes('/etc/certs/middle-tier.pem')
 * ```
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path))
}
