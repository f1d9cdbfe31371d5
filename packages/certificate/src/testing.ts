/**
 * `@onbehalf/certificate/testing`: controls of the process-wide certificate memo, for tests that need a cold
 * memo or its bound. Not for production code: the memo needs no tending.
 *
 * @example
 * ```ts
 * import { clearClientCertificateMemo } from '@onbehalf/certificate/testing'
 * beforeEach(() => clearClientCertificateMemo())
 * ```
 * @module
 */
export { clearClientCertificateMemo, clientCertificateMemoMaxEntries } from './load-client-certificate.ts'
