/**
 * The validated caller of one request: its claims, OBO tokens for downstream APIs, downstream calls with the
 * token attached (one retry with claims on a CAE claims challenge), and an `OnBehalfOfCredential` for Azure SDK
 * clients. Cheap to create: credentials share the process-wide engine and cache.
 *
 * @module
 */
import type { AccessToken } from '@azure/core-auth'
import type { OnBehalfOfCredential } from '@onbehalf/azure'
import { ApiAuthError } from './api-auth-error.ts'
import type { CredentialFactory } from './credential-factory.ts'
import { toApiAuthError, type OboFailureContext } from './obo-failure.ts'
import type { ResolvedDownstreamApi } from './options.ts'
import type { AccessTokenClaims, ValidatedToken } from './token-validator.ts'

/** Options of {@link Caller.getToken}. */
export interface CallerTokenOptions {
  /** A claims challenge (JSON text) to satisfy; bypasses the cache. */
  readonly claims?: string
  /** Declare CAE capability `cp1`. Default: the named API's `enableCae`, else `false`. */
  readonly enableCae?: boolean
  readonly abortSignal?: AbortSignal
}

/**
 * A validated caller.
 *
 * @example
 * ```ts
 * const caller = await api.authenticate(request)
 * const me = await caller.fetch('graph', '/me')
 * ```
 */
export interface Caller {
  /** The validated token's claims. */
  readonly claims: Readonly<AccessTokenClaims>
  /** The caller's tenant (`tid`). */
  readonly tenantId: string
  /** `true` for an app-only token: such a caller cannot call downstream as a user. */
  readonly appOnly: boolean
  /** Delegated scopes (`scp`), split. */
  readonly scopes: readonly string[]
  /** App roles (`roles`). */
  readonly roles: readonly string[]
  /**
   * An OBO token for this caller: for a named downstream API, or for scopes of one resource.
   *
   * @throws ApiAuthError 401 `INSUFFICIENT_CLAIMS` (step-up), 403 `CONSENT_REQUIRED`, 403 `APP_ONLY_TOKEN`,
   *   503 `THROTTLED`, 401 `INVALID_TOKEN`, 502 `TOKEN_EXCHANGE_FAILED`, 500 `UNKNOWN_DOWNSTREAM_API`.
   */
  getToken(apiNameOrScopes: string | readonly string[], options?: CallerTokenOptions): Promise<AccessToken>
  /**
   * Calls a named downstream API as the caller: `baseUrl + path`, `Authorization: Bearer <OBO token>`. When the
   * downstream answers 401 with a claims challenge (CAE), gets a token with those claims and retries once;
   * otherwise returns the downstream's answer untouched.
   *
   * @throws ApiAuthError as {@link Caller.getToken}.
   */
  fetch(apiName: string, path: string, init?: RequestInit): Promise<Response>
  /**
   * An `OnBehalfOfCredential` for this caller, for any Azure SDK client.
   *
   * @throws ApiAuthError 403 `APP_ONLY_TOKEN` for an app-only caller.
   */
  readonly credential: OnBehalfOfCredential
}

/** What every caller of one API shares. */
export interface CallerContext {
  readonly clientId: string
  readonly authorityHost: string
  readonly downstreamApis: ReadonlyMap<string, ResolvedDownstreamApi>
  /** Makes a caller's credential (configuration validated once); `undefined` for a validation-only API. */
  readonly credentialFor: CredentialFactory | undefined
}

/**
 * Builds the caller of one request.
 *
 * @example
 * ```ts
 * const caller = createCaller(context, validated, token)
 * ```
 */
export function createCaller(context: CallerContext, validated: ValidatedToken, assertion: string): Caller {
  return new ProtectedCaller(context, validated, assertion)
}

class ProtectedCaller implements Caller {
  readonly #context: CallerContext
  readonly #validated: ValidatedToken
  readonly #assertion: string
  #credential: OnBehalfOfCredential | undefined

  constructor(context: CallerContext, validated: ValidatedToken, assertion: string) {
    this.#context = context
    this.#validated = validated
    this.#assertion = assertion
  }

  get claims(): Readonly<AccessTokenClaims> {
    return this.#validated.claims
  }

  get tenantId(): string {
    return this.#validated.tenantId
  }

  get appOnly(): boolean {
    return this.#validated.appOnly
  }

  get scopes(): readonly string[] {
    return this.#validated.scopes
  }

  get roles(): readonly string[] {
    return this.#validated.roles
  }

  get credential(): OnBehalfOfCredential {
    if (this.#validated.appOnly) throw appOnlyRefusal()
    const credentialFor = this.#context.credentialFor
    if (credentialFor === undefined) {
      throw new TypeError(
        'createProtectedApi was given no client credential (clientSecret, clientCertificate, clientCertificatePath or getClientAssertion), so it cannot call downstream APIs.',
      )
    }
    // The caller's own tenant: a multi-tenant API exchanges each user's token in that user's tenant.
    this.#credential ??= credentialFor(this.#validated.tenantId, this.#assertion)
    return this.#credential
  }

  getToken(apiNameOrScopes: string | readonly string[], options: CallerTokenOptions = {}): Promise<AccessToken> {
    let scopes: string[]
    let enableCae = options.enableCae ?? false
    try {
      if (typeof apiNameOrScopes === 'string' && this.#context.downstreamApis.has(apiNameOrScopes)) {
        const api = this.#context.downstreamApis.get(apiNameOrScopes) as ResolvedDownstreamApi
        scopes = [...api.scopes]
        enableCae = options.enableCae ?? api.enableCae
      } else if (typeof apiNameOrScopes === 'string' && !/[/.:]/.test(apiNameOrScopes)) {
        // Neither a configured name nor shaped like a scope: most likely a misspelt API name.
        throw unknownApi(apiNameOrScopes)
      } else {
        scopes = typeof apiNameOrScopes === 'string' ? [apiNameOrScopes] : [...apiNameOrScopes]
      }
      return this.#exchange(scopes, enableCae, options)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  async fetch(apiName: string, path: string, init: RequestInit = {}): Promise<Response> {
    const api = this.#context.downstreamApis.get(apiName)
    if (api === undefined) throw unknownApi(apiName)
    const url = joinUrl(api.baseUrl, path)
    const send = api.fetch ?? ((input: string, requestInit: RequestInit) => globalThis.fetch(input, requestInit))
    const signal = init.signal ?? undefined
    const tokenOptions = signal === undefined ? {} : { abortSignal: signal }
    const first = await this.#exchange([...api.scopes], api.enableCae, tokenOptions)
    const response = await send(url, withBearer(init, first.token))
    const claims = response.status === 401 ? claimsChallengeOf(response.headers.get('www-authenticate')) : undefined
    // A streamed body was consumed by the first attempt and cannot be sent again.
    if (claims === undefined || init.body instanceof ReadableStream) return response
    await response.body?.cancel().catch(() => undefined)
    const second = await this.#exchange([...api.scopes], api.enableCae, { ...tokenOptions, claims })
    return send(url, withBearer(init, second.token))
  }

  async #exchange(scopes: string[], enableCae: boolean, options: CallerTokenOptions): Promise<AccessToken> {
    const context: OboFailureContext = {
      authorityHost: this.#context.authorityHost,
      clientId: this.#context.clientId,
      tenantId: this.#validated.tenantId,
    }
    try {
      return await this.credential.getToken(scopes, {
        enableCae,
        ...(options.claims === undefined ? {} : { claims: options.claims }),
        ...(options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal }),
      })
    } catch (error) {
      throw toApiAuthError(error, context)
    }
  }
}

function appOnlyRefusal(): ApiAuthError {
  const message =
    "This operation calls a downstream API on behalf of a signed-in user; an app-only token cannot be used for that. Call it with a user's token."
  return new ApiAuthError(message, {
    code: 'APP_ONLY_TOKEN',
    status: 403,
    error: 'insufficient_scope',
    challenge: { error: 'insufficient_scope', error_description: message },
  })
}

function unknownApi(name: string): ApiAuthError {
  return new ApiAuthError(
    `No downstream API named "${name.slice(0, 64)}" is configured; add it to downstreamApis or pass scopes.`,
    { code: 'UNKNOWN_DOWNSTREAM_API', status: 500, error: 'server_error' },
  )
}

function joinUrl(baseUrl: string, path: string): string {
  if (path === '') return baseUrl
  return path.startsWith('/') || path.startsWith('?') ? `${baseUrl}${path}` : `${baseUrl}/${path}`
}

function withBearer(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers)
  headers.set('Authorization', `Bearer ${token}`)
  return { ...init, headers }
}

/**
 * The claims (JSON text) of a CAE / claims challenge: `Bearer … error="insufficient_claims", claims="<base64>"`.
 *
 * @example
 * ```ts
 * claimsChallengeOf('Bearer error="insufficient_claims", claims="eyJ…"') // '{"access_token":…}'
 * ```
 */
export function claimsChallengeOf(header: string | null): string | undefined {
  if (header === null || !/^\s*bearer\b/i.test(header)) return undefined
  if (!/\berror\s*=\s*"insufficient_claims"/i.test(header)) return undefined
  const encoded = /\bclaims\s*=\s*"([^"]*)"/i.exec(header)?.[1]
  if (encoded === undefined || encoded === '') return undefined
  try {
    const binary = atob(encoded)
    const text = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? text : undefined
  } catch {
    return undefined
  }
}
