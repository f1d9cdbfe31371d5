/**
 * Scenario 6's contenders: a protected API's middle tier, which validates the caller's access token and gets an
 * OBO token for a downstream API. Each is driven the same way: one incoming request at a time, split into its
 * validation and its token parts so the report can show where the time goes.
 *
 * @module
 */
import type { EmulatorAccess } from '../child-protocol.ts'
import type { ContenderId } from '../results.ts'

/** An incoming request as a framework hands it over: Node's lower-cased header record. */
export interface IncomingRequest {
  readonly headers: { readonly authorization: string }
}

/** What the validation part hands to the token part. */
export interface ValidatedRequest {
  /** The caller's `oid`, from the validated claims. */
  readonly oid: string
  /** Gets the OBO token for the downstream API; returns it. */
  token(): Promise<string>
}

/** One middle tier, set up in a scenario process. */
export interface ProtectedTier {
  readonly id: ContenderId
  /** How the tier is written, for the report. */
  readonly pattern: string
  /** Validates the request's bearer token; the returned object gets the OBO token. */
  validate(request: IncomingRequest): Promise<ValidatedRequest>
}

/** The contenders that take part in scenario 6, and why the others do not. */
export const protectedTierIds: readonly ContenderId[] = ['ours-jose', 'ours-msal', 'azure-identity']

/**
 * Creates the middle tier for a contender (its libraries are imported here, so a process loads only its own).
 *
 * @throws Error for a contender that has no protected-API tier.
 * @example
 * ```ts
 * const tier = await createProtectedTier('ours-jose', access)
 * const validated = await tier.validate({ headers: { authorization: `Bearer ${token}` } })
 * await validated.token()
 * ```
 */
export async function createProtectedTier(id: ContenderId, access: EmulatorAccess): Promise<ProtectedTier> {
  switch (id) {
    case 'ours-jose':
    case 'ours-msal':
      return (await import('./server-tier.ts')).serverTier(id, access)
    case 'azure-identity':
      return (await import('./hand-written-tier.ts')).handWrittenTier(access)
    case 'msal-node':
      throw new Error('msal-node takes no part in the protected-API scenario')
  }
}
