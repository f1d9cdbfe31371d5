/**
 * What certificate files need from a file system, implemented by `#file-system`: `node:fs/promises` where the
 * runtime has it (Node, Deno, Bun take the `node` condition), a typed refusal elsewhere (Workers, browsers).
 *
 * @module
 */

/** A file's kind, size and modification time. */
export interface FileInfo {
  readonly isFile: boolean
  readonly mtimeMs: number
  readonly size: number
}
