/**
 * Entra's metadata and signing keys for one API: the issuer templates (v2 and, when a v1 token arrives, v1) and
 * the JWKS, cached. An unknown `kid` may trigger a refetch, at most one per `refreshIntervalMs` however many
 * requests ask (a flood of forged `kid`s cannot hammer Entra); keys are also refreshed after `maxAgeMs`.
 *
 * @module
 */
import { parseJsonObject, readBoundedBody } from '@onbehalf/core/engine'
import { importJWK, type CryptoKey, type KeyObject } from 'jose'
import { ApiAuthError } from './api-auth-error.ts'

/** A verification key, as jose imports it on this runtime. */
export type VerificationKey = CryptoKey | KeyObject

/** Options of {@link createSigningKeys}. */
export interface SigningKeysOptions {
  readonly authorityHost: string
  /** The tenant segment of the metadata URLs: a tenant ID, `organizations` or `common`. */
  readonly tenant: string
  readonly fetch: typeof globalThis.fetch
  readonly refreshIntervalMs: number
  readonly maxAgeMs: number
  readonly now: () => number
}

/** Counters, for tests and diagnostics. */
export interface SigningKeysStats {
  readonly metadataFetches: number
  readonly jwksFetches: number
}

/** The keys and issuers of one authority + tenant. */
export interface SigningKeys {
  /** The key for `kid`, refetching the JWKS at most once per interval; `undefined` when unknown. */
  key(kid: string): Promise<VerificationKey | undefined>
  /** The issuer (possibly the template with `{tenantid}`) of v2 (`'2.0'`) or v1 (`'1.0'`) tokens. */
  issuer(version: '1.0' | '2.0'): Promise<string>
  stats(): SigningKeysStats
}

const maxDocumentBytes = 256 * 1024

/**
 * Creates the cached metadata and key store.
 *
 * @example
 * ```ts
 * const keys = createSigningKeys({ authorityHost, tenant, fetch, refreshIntervalMs: 300_000, maxAgeMs: 43_200_000, now: Date.now })
 * const key = await keys.key(header.kid)
 * ```
 */
export function createSigningKeys(options: SigningKeysOptions): SigningKeys {
  const base = `${options.authorityHost}/${options.tenant}`
  let metadataFetches = 0
  let jwksFetches = 0
  let v2: Promise<{ issuer: string; jwksUri: string }> | undefined
  let v1: Promise<string> | undefined
  let keys = new Map<string, VerificationKey>()
  let fetchedAt = Number.NEGATIVE_INFINITY
  let pending: Promise<void> | undefined

  const readDocument = async (url: string, what: string): Promise<Record<string, unknown>> => {
    let failure: unknown
    try {
      const request = (): Promise<Response> => options.fetch(url, { headers: { Accept: 'application/json' } })
      // One more attempt when the connection failed: a pooled keep-alive socket the server already closed
      // (ECONNRESET) is common after an idle spell, and keys are fetched rarely.
      const response = await request().catch(() => request())
      const text = await readBoundedBody(response, maxDocumentBytes)
      if (response.ok) {
        const document = parseJsonObject(text)
        if (document !== undefined) return document
      }
      failure = new Error(`HTTP ${String(response.status)}`)
    } catch (error) {
      failure = error
    }
    throw new ApiAuthError(`The identity provider's ${what} could not be read; try again later.`, {
      code: 'METADATA_UNAVAILABLE',
      status: 503,
      error: 'temporarily_unavailable',
      cause: failure,
    })
  }

  const metadata = (): Promise<{ issuer: string; jwksUri: string }> => {
    v2 ??= (async () => {
      metadataFetches++
      const document = await readDocument(`${base}/v2.0/.well-known/openid-configuration`, 'OpenID configuration')
      const issuer = document['issuer']
      const jwksUri = document['jwks_uri']
      if (typeof issuer !== 'string' || typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) {
        throw new ApiAuthError("The identity provider's OpenID configuration has no usable issuer or jwks_uri.", {
          code: 'METADATA_UNAVAILABLE',
          status: 503,
          error: 'temporarily_unavailable',
        })
      }
      return { issuer, jwksUri }
    })()
    // A failed read is not remembered: the next request tries again.
    v2.catch(() => {
      v2 = undefined
    })
    return v2
  }

  const load = (): Promise<void> => {
    pending ??= (async () => {
      try {
        const { jwksUri } = await metadata()
        jwksFetches++
        // Counted as an attempt even if it fails, so failures are rate-limited too.
        fetchedAt = options.now()
        const document = await readDocument(jwksUri, 'signing keys (JWKS)')
        const list = Array.isArray(document['keys']) ? (document['keys'] as unknown[]) : []
        const next = new Map<string, VerificationKey>()
        for (const jwk of list) {
          if (typeof jwk !== 'object' || jwk === null) continue
          const { kty, kid, n, e, use } = jwk as Record<string, unknown>
          if (kty !== 'RSA' || typeof kid !== 'string' || typeof n !== 'string' || typeof e !== 'string') continue
          if (use !== undefined && use !== 'sig') continue
          try {
            next.set(kid, await importJWK({ kty, n, e }, 'RS256'))
          } catch {
            // A key that does not import cannot verify anything; skip it.
          }
        }
        keys = next
      } finally {
        pending = undefined
      }
    })()
    return pending
  }

  return {
    async key(kid) {
      const now = options.now()
      if (pending !== undefined) {
        // A failed refresh still leaves the keys we had.
        await pending.catch((error: unknown) => {
          if (keys.size === 0) throw error
        })
      } else if (fetchedAt === Number.NEGATIVE_INFINITY) {
        await load()
      } else if (now - fetchedAt >= options.maxAgeMs) {
        // Old keys keep serving if the refresh fails.
        await load().catch(() => undefined)
      }
      const known = keys.get(kid)
      if (known !== undefined) return known
      if (pending !== undefined) {
        await pending.catch(() => undefined)
        return keys.get(kid)
      }
      if (options.now() - fetchedAt < options.refreshIntervalMs) return undefined
      await load().catch(() => undefined)
      return keys.get(kid)
    },
    async issuer(version) {
      if (version === '2.0') return (await metadata()).issuer
      v1 ??= (async () => {
        metadataFetches++
        const document = await readDocument(`${base}/.well-known/openid-configuration`, 'v1 OpenID configuration')
        const issuer = document['issuer']
        if (typeof issuer !== 'string') {
          throw new ApiAuthError("The identity provider's v1 OpenID configuration has no issuer.", {
            code: 'METADATA_UNAVAILABLE',
            status: 503,
            error: 'temporarily_unavailable',
          })
        }
        return issuer
      })()
      v1.catch(() => {
        v1 = undefined
      })
      return v1
    },
    stats: () => ({ metadataFetches, jwksFetches }),
  }
}
