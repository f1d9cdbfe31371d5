/**
 * The one Node-only piece of the package: reading the projected token file. `node:fs` is imported at the
 * call, so the rest of the package loads in any runtime.
 *
 * @module
 */

/** The file's content and what identifies this version of it. */
export interface TokenFileVersion {
  /** Changes when the kubelet swaps the file (modification time, size, inode). */
  readonly stamp: string
}

/**
 * The file's version stamp without reading it.
 *
 * @example
 * ```ts
 * const { stamp } = await statTokenFile('/var/run/secrets/azure/tokens/azure-identity-token')
 * ```
 */
export async function statTokenFile(path: string): Promise<TokenFileVersion> {
  const { stat } = await import('node:fs/promises')
  const info = await stat(path)
  return { stamp: `${info.mtimeMs}:${info.size}:${info.ino}` }
}

/**
 * The file's text (UTF-8).
 *
 * @example
 * ```ts
 * const token = (await readTokenFile(path)).trim()
 * ```
 */
export async function readTokenFile(path: string): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return readFile(path, 'utf8')
}
