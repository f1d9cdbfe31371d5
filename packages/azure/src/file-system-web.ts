/**
 * `#file-system` in runtimes without a file system (Cloudflare Workers, browsers): chosen by the `default`
 * condition, so bundles for them never import `node:fs`. Only `clientCertificatePath` reaches it, and it is refused
 * with a typed error that says what to pass instead.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import type { FileInfo } from './file-system-types.ts'

const noFileSystem = (): OboError =>
  new OboError(
    'clientCertificatePath needs a file system, which this runtime does not have (a Worker or a browser): pass the certificate itself as clientCertificate (PEM text or PKCS#12 bytes), for example from a secret binding.',
    { code: 'INVALID_CERTIFICATE' },
  )

/**
 * Refuses: there is no file system here.
 *
 * @throws OboError `INVALID_CERTIFICATE`, saying to pass `clientCertificate` instead.
 * @example
 * ```ts
 * await statFile('/etc/certs/middle-tier.pem') // rejects with INVALID_CERTIFICATE
 * ```
 */
export function statFile(path: string): Promise<FileInfo> {
  void path
  return Promise.reject(noFileSystem())
}

/**
 * Refuses: there is no file system here.
 *
 * @throws OboError `INVALID_CERTIFICATE`, saying to pass `clientCertificate` instead.
 * @example
 * ```ts
 * await readFileBytes('/etc/certs/middle-tier.pem') // rejects with INVALID_CERTIFICATE
 * ```
 */
export function readFileBytes(path: string): Promise<Uint8Array> {
  void path
  return Promise.reject(noFileSystem())
}
