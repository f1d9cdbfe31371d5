export { parseClientCertificate } from './client-certificate.ts'
export type { ClientCertificate } from './client-certificate.ts'
export {
  clearClientCertificateMemo,
  clientCertificateMemoMaxEntries,
  loadClientCertificate,
} from './load-client-certificate.ts'
