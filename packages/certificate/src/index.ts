/**
 * `@onbehalf/certificate`: PEM / PKCS#12 client certificates for both engines: the signing key, thumbprints
 * and the `x5c` chain, parsed once per process.
 *
 * @module
 */
export { parseClientCertificate } from './client-certificate.ts'
export type { ClientCertificate } from './client-certificate.ts'
export { loadClientCertificate } from './load-client-certificate.ts'
