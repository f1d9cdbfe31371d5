/**
 * Process-wide counters that show whether per-request credentials share their engines as intended.
 *
 * @module
 */
import { certificateFileReads } from './certificate-file.ts'
import { registryCounters } from './registry.ts'

/** What `OnBehalfOfCredential.stats()` reports: counters since the process started. */
export interface CredentialStats {
  /** Engines shared now (one per distinct client configuration: engine, authority, client ID, credential, fetch). */
  readonly sharedEngines: number
  /**
   * Engines created so far. It should stay at the number of client configurations; if it grows with requests,
   * something per request is part of the configuration (typically a `getClientAssertion`, `fetch` or engine
   * factory defined inside the request handler: define it once instead).
   */
  readonly enginesCreated: number
  /** Times a `clientCertificatePath` file's content was read (once per file version). */
  readonly certificateFileReads: number
}

/**
 * The sharing counters of every `OnBehalfOfCredential` in the process.
 *
 * @example
 * ```ts
 * credentialStats().enginesCreated // 1 after any number of credentials of one configuration
 * ```
 */
export function credentialStats(): CredentialStats {
  return { ...registryCounters(), certificateFileReads: certificateFileReads() }
}
