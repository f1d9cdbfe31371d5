/**
 * Workload identity (AKS and any Kubernetes with a federated OIDC issuer): the projected service-account
 * token the kubelet writes to a file, presented to Entra as the client assertion.
 *
 * @module
 */
import { OboError } from '@onbehalf/core'
import { jwtExpiresAt } from '@onbehalf/core/engine'
import { processEnvironment, setting, type Environment } from './environment.ts'
import type { ClientAssertionCallback } from './managed-identity.ts'
import { readTokenFile, statTokenFile } from './read-token-file.ts'

/** Options of {@link workloadIdentityAssertion}. */
export interface WorkloadIdentityAssertionOptions {
  /** Path of the projected token; default `AZURE_FEDERATED_TOKEN_FILE` (set by the workload identity webhook). */
  readonly tokenFile?: string
  /** Environment to read `AZURE_FEDERATED_TOKEN_FILE` from; default `process.env`. */
  readonly env?: Environment
  /** Clock in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number
}

interface Held {
  readonly stamp: string
  readonly token: string
  readonly expiresAt: number | undefined
}

/**
 * A `getClientAssertion` callback that presents the projected service-account token. The file is read once
 * per version: each call checks the file's stamp (one `stat`) and re-reads it when the kubelet rotated it, so
 * the next exchange after a rotation uses the new token. The content is trimmed; an empty, missing or expired
 * token is refused with a message naming the file. Node only (reads a file).
 *
 * @throws OboError `INVALID_ARGUMENT` at creation when no file is named; from the callback
 *   `CLIENT_ASSERTION_FAILED` for a missing, unreadable, empty or expired file.
 * @example
 * ```ts
 * import { OnBehalfOfCredential } from '@onbehalf/azure'
 * import { workloadIdentityAssertion } from '@onbehalf/federated'
 *
 * const getClientAssertion = workloadIdentityAssertion() // AZURE_FEDERATED_TOKEN_FILE
 * const credential = new OnBehalfOfCredential(process.env.AZURE_TENANT_ID!, process.env.AZURE_CLIENT_ID!, {
 *   userAssertion,
 *   getClientAssertion,
 * })
 * ```
 */
export function workloadIdentityAssertion(options: WorkloadIdentityAssertionOptions = {}): ClientAssertionCallback {
  const path = options.tokenFile ?? setting(options.env ?? processEnvironment(), 'AZURE_FEDERATED_TOKEN_FILE')
  if (typeof path !== 'string' || path.trim() === '') {
    throw new OboError(
      'No federated token file: set AZURE_FEDERATED_TOKEN_FILE (the AKS workload identity webhook does, for pods whose service account is labelled azure.workload.identity/use) or pass tokenFile.',
      { code: 'INVALID_ARGUMENT' },
    )
  }
  const now = options.now ?? Date.now
  let held: Held | undefined
  let flight: Promise<Held> | undefined
  let reads = 0

  const load = async (): Promise<Held> => {
    let stamp: string
    try {
      stamp = (await statTokenFile(path)).stamp
    } catch (error) {
      throw fileError(path, error)
    }
    if (held !== undefined && held.stamp === stamp) return held
    reads += 1
    let text: string
    try {
      text = await readTokenFile(path)
    } catch (error) {
      throw fileError(path, error)
    }
    const token = text.trim()
    if (token === '') {
      throw new OboError(
        `The federated token file ${path} is empty; the kubelet writes the projected service-account token there. Check the pod's projected volume.`,
        { code: 'CLIENT_ASSERTION_FAILED' },
      )
    }
    const next: Held = { stamp, token, expiresAt: jwtExpiresAt(token) }
    held = next
    return next
  }

  const callback = async (): Promise<string> => {
    // One stat (and at most one read) for concurrent callers.
    flight ??= load().finally(() => {
      flight = undefined
    })
    const current = await flight
    if (current.expiresAt !== undefined && current.expiresAt <= now()) {
      throw new OboError(
        `The token in ${path} expired at ${new Date(current.expiresAt).toISOString()} and was not rotated; check that the kubelet refreshes the projected volume.`,
        { code: 'CLIENT_ASSERTION_FAILED' },
      )
    }
    return current.token
  }
  Object.defineProperty(callback, 'platformRequests', { get: () => reads, enumerable: true })
  return callback as ClientAssertionCallback
}

function fileError(path: string, error: unknown): OboError {
  const code = (error as { code?: unknown } | undefined)?.code
  const reason =
    code === 'ENOENT'
      ? 'does not exist'
      : code === 'EACCES'
        ? 'is not readable by this process'
        : `could not be read (${typeof code === 'string' ? code : 'error'})`
  return new OboError(
    `The federated token file ${path} ${reason}. Check AZURE_FEDERATED_TOKEN_FILE and the pod's projected service-account volume.`,
    { code: 'CLIENT_ASSERTION_FAILED', cause: error },
  )
}
