/**
 * Certificate files, read once per file version: per-request credentials naming the same path share one
 * read (and one parse), and a certificate rotated in place is picked up within a second.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import { readFileBytes, statFile } from '#file-system'

/** How long a file's last check stands before its size and modification time are looked at again. */
const recheckIntervalMs = 1_000
const maxFiles = 64

interface FileVersion {
  readonly mtimeMs: number
  readonly size: number
  readonly bytes: Uint8Array
}

interface FileEntry {
  checkedAt: number
  version: FileVersion
}

const files = new Map<string, FileEntry>()
const pending = new Map<string, Promise<FileVersion>>()
let reads = 0

/**
 * The content of a certificate file. Within a second of the last check the remembered bytes are returned with
 * no system call; after that a `stat` decides whether to read again. Concurrent first reads of one path share
 * one read. The same `Uint8Array` is returned while the file is unchanged, so callers may memoise on it.
 *
 * @throws OboError `INVALID_CERTIFICATE` when the file cannot be read (missing, no permission, a directory).
 * @example
 * ```ts
 * const bytes = await readCertificateFile('/etc/certs/middle-tier.pem')
 * ```
 */
export async function readCertificateFile(path: string, now: number = Date.now()): Promise<Uint8Array> {
  const entry = files.get(path)
  if (entry !== undefined && now - entry.checkedAt < recheckIntervalMs) return entry.version.bytes
  const inFlight = pending.get(path)
  if (inFlight !== undefined) return (await inFlight).bytes
  const work = load(path, entry?.version)
  pending.set(path, work)
  try {
    const version = await work
    files.delete(path)
    files.set(path, { checkedAt: now, version })
    if (files.size > maxFiles) files.delete(files.keys().next().value as string)
    return version.bytes
  } catch (error) {
    files.delete(path)
    throw error
  } finally {
    pending.delete(path)
  }
}

/** How many times a certificate file's content was read since the process started. */
export function certificateFileReads(): number {
  return reads
}

async function load(path: string, previous: FileVersion | undefined): Promise<FileVersion> {
  try {
    const info = await statFile(path)
    if (!info.isFile) throw new Error('not a regular file')
    if (previous !== undefined && previous.mtimeMs === info.mtimeMs && previous.size === info.size) return previous
    reads++
    const bytes = await readFileBytes(path)
    return { mtimeMs: info.mtimeMs, size: info.size, bytes }
  } catch (error) {
    // A runtime without a file system already said what to do instead.
    if (error instanceof OboError) throw error
    const code = (error as { code?: unknown }).code
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'unknown error'
    throw new OboError(
      `The certificate file ${JSON.stringify(path)} cannot be read (${String(reason)}). Check the path and the process's permission to read it.`,
      { code: 'INVALID_CERTIFICATE', cause: error },
    )
  }
}
