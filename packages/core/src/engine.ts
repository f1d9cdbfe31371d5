/**
 * The protocol contract every engine implements (`@onbehalf/jose`, `@onbehalf/msal`): exchange a user
 * assertion for a downstream token, redeem a refresh token, close. Engines speak the protocol only; caching,
 * single-flight, refresh and throttling belong to the token provider.
 *
 * @module
 */

/**
 * How the middle tier proves its own identity to Entra. Exactly one kind per engine.
 *
 * @example
 * ```ts
 * const secret: ClientCredential = { kind: 'secret', secret: process.env.CLIENT_SECRET! }
 * const cert: ClientCredential = { kind: 'certificate', certificate: pemText, sendCertificateChain: true }
 * const fic: ClientCredential = { kind: 'assertion', getAssertion: () => readFederatedToken() }
 * ```
 */
export type ClientCredential =
  | { readonly kind: 'secret'; readonly secret: string }
  | {
      readonly kind: 'certificate'
      /** PEM text or bytes (private key + certificate, key possibly encrypted), or PKCS#12 bytes. */
      readonly certificate: string | Uint8Array
      /** Password of an encrypted PEM key or a PKCS#12 file; a string is taken as UTF-8. */
      readonly password?: string | Uint8Array
      /** Send the `x5c` chain in the client assertion header (subject name / issuer authentication). */
      readonly sendCertificateChain?: boolean
    }
  | {
      readonly kind: 'assertion'
      /** Returns a signed client assertion JWT; called once per token request. */
      readonly getAssertion: () => string | Promise<string>
    }

/**
 * The one configuration object an engine factory takes. Both engines accept exactly this shape, so they are
 * interchangeable.
 */
export interface EngineConfig {
  /** The middle tier's application (client) ID. */
  readonly clientId: string
  readonly credential: ClientCredential
  /** Normalised authority host as an https origin, e.g. `https://login.microsoftonline.com`. */
  readonly authorityHost: string
  /** Skip authority validation through instance discovery (private clouds, emulators, Azure Stack). */
  readonly disableInstanceDiscovery?: boolean
  /** The `fetch` to use for every network call (e.g. one that trusts a private CA). */
  readonly fetch?: typeof globalThis.fetch
}

/** The parts every token request carries. */
export interface TokenRequestBase {
  /** The tenant to request the token from (already resolved and validated). */
  readonly tenantId: string
  /** The scopes of one resource, e.g. `['https://graph.microsoft.com/.default']`. */
  readonly scopes: readonly string[]
  /** The merged claims request (JSON text), including the CAE `xms_cc` capability when enabled. */
  readonly claims?: string
  readonly signal?: AbortSignal
}

/** An On-Behalf-Of exchange: the user's access token for a downstream token. */
export interface ExchangeRequest extends TokenRequestBase {
  /** The incoming user access token (the `assertion` of the jwt-bearer grant). */
  readonly userAssertion: string
}

/** Redemption of a refresh token that an earlier exchange returned. */
export interface RefreshRequest extends TokenRequestBase {
  readonly refreshToken: string
}

/** What an engine returns for a successful token request. Times are epoch milliseconds. */
export interface TokenResult {
  readonly accessToken: string
  /** Usually `'Bearer'`. */
  readonly tokenType: string
  /** The scopes the token was granted for, as the server reported them. */
  readonly scopes: readonly string[]
  /** When the token expires (epoch ms). */
  readonly expiresAt: number
  /** When the server advises a refresh (`refresh_in`, epoch ms), if it said so. */
  readonly refreshAt?: number
  /** A refresh token, when the server returned one (`offline_access`). */
  readonly refreshToken?: string
}

/**
 * A protocol client for Entra's token endpoint.
 *
 * @example
 * ```ts
 * const engine: OboEngine = createJoseEngine()({ clientId, credential, authorityHost })
 * const result = await engine.exchange({ tenantId, userAssertion, scopes: ['api://downstream/.default'] })
 * ```
 */
export interface OboEngine {
  /** A short name for events and diagnostics, e.g. `'jose'` or `'msal'`. */
  readonly name: string
  /**
   * A stable fingerprint of the client configuration (authority, client ID, credential) that never contains
   * a secret: part of every cache key, so different apps or credentials never share entries.
   */
  readonly fingerprint: string
  exchange(request: ExchangeRequest): Promise<TokenResult>
  redeemRefreshToken(request: RefreshRequest): Promise<TokenResult>
  /** Releases what the engine holds (sockets, timers). Idempotent. */
  close(): Promise<void>
  /**
   * A snapshot of what the engine holds, for monitoring (the `stats()` convention every package follows);
   * engines with nothing to report leave it out.
   */
  stats?(): object
}

/**
 * What both adapters' factories return (`createJoseEngine(options)`, `createMsalEngine()`): a function from the
 * client configuration to an engine, which `OnBehalfOfCredential({ engine })` calls once per configuration.
 *
 * @example
 * ```ts
 * const create: EngineFactory = createMsalEngine()
 * const engine = create({ clientId, credential: { kind: 'secret', secret }, authorityHost })
 * ```
 */
export type EngineFactory = (config: EngineConfig) => OboEngine
