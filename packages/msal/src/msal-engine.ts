/**
 * `msalEngine`: the On-Behalf-Of protocol through `@azure/msal-node`'s `ConfidentialClientApplication`, with
 * core's cache as the cache of record. MSAL is kept to what it is good at (building and signing the request,
 * authority discovery, response validation); its token cache and client-side throttling are kept out of the
 * way because they neither scale nor isolate users (see the README).
 *
 * @module
 */
import { randomUUID } from 'node:crypto'
import { ConfidentialClientApplication, LogLevel, type AuthenticationResult } from '@azure/msal-node'
import {
  OboError,
  type EngineConfig,
  type ExchangeRequest,
  type OboEngine,
  type RefreshRequest,
  type TokenRequestBase,
  type TokenResult,
} from '@onbehalf/core'
import {
  abortedError,
  assertClientId,
  assertRefreshToken,
  assertTokenRequest,
  assertUserAssertion,
  engineAuthorityHost,
  engineFingerprint,
  optional,
  raceAbort,
  createAuthorityValidator,
} from '@onbehalf/core/engine'
import { createCallContext, runInCallContext } from './call-context.ts'
import { prepareCredential } from './credential.ts'
import { toOboError } from './error-mapping.ts'
import { createNetworkClient } from './network-client.ts'
import { toTokenResult } from './token-result.ts'

/** What {@link MsalEngine.stats} reports. */
export interface MsalEngineStats {
  /** Whether the engine's `ConfidentialClientApplication` exists yet (it is created on first use). */
  readonly applicationCreated: boolean
  /** Entries in MSAL's own in-memory cache right now (tokens, accounts, throttling, authority metadata). */
  readonly msalCacheEntries: number
  /** Of those, the authority metadata entries (one per authority host). */
  readonly authorityMetadataEntries: number
}

/** An engine made by {@link createMsalEngine}: an `OboEngine` that reports what MSAL holds. */
export interface MsalEngine extends OboEngine {
  /**
   * What MSAL holds inside this engine: for monitoring and for tests that prove MSAL's cache does not grow
   * with users.
   */
  stats(): MsalEngineStats
}

/**
 * Creates the engine factory on `@azure/msal-node`, interchangeable with `createJoseEngine()` (both return
 * core's `EngineFactory`). It takes no options today. Create it once, at startup: credentials share engines per
 * factory. One `ConfidentialClientApplication` is created per engine, on first use.
 *
 * - Every call bypasses MSAL's token cache (`skipCache`) and clears what MSAL wrote once the call settles, so
 *   MSAL's cache holds only in-flight entries and authority metadata, whatever the number of users served.
 * - Error answers never reach MSAL's client-side throttle: a 429 for one user cannot block another.
 * - The tenant is chosen per request (the request's authority); CAE is carried by the request's `claims`.
 * - Network calls use `config.fetch`; discovery documents are fetched once per URL per process.
 * - MSAL ignores abort signals: an abort rejects at once with `ABORTED` and cancels the call's requests.
 *
 * @throws OboError `INVALID_CERTIFICATE` for an unreadable certificate, `INVALID_AUTHORITY` for a non-https
 *   authority host, `INVALID_ARGUMENT` for a missing client ID or credential.
 * @example
 * ```ts
 * import { createMsalEngine } from '@onbehalf/msal'
 *
 * const engine = createMsalEngine()({
 *   clientId: process.env.CLIENT_ID!,
 *   credential: { kind: 'secret', secret: process.env.CLIENT_SECRET! },
 *   authorityHost: 'https://login.microsoftonline.com',
 * })
 * const token = await engine.exchange({ tenantId, userAssertion, scopes: ['https://graph.microsoft.com/.default'] })
 * ```
 */
export function createMsalEngine(): (config: EngineConfig) => MsalEngine {
  return msalEngine
}

function msalEngine(config: EngineConfig): MsalEngine {
  assertClientId(config.clientId)
  const authorityHost = engineAuthorityHost(config.authorityHost)
  const credential = prepareCredential(config.credential)
  const fetchImpl = config.fetch ?? globalThis.fetch
  const networkClient = createNetworkClient({ fetch: fetchImpl })
  const validator = createAuthorityValidator({
    authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery === true,
    get: (url) => networkClient.getDiscovery(url),
  })
  let application: ConfidentialClientApplication | undefined
  let closed = false

  function app(): ConfidentialClientApplication {
    if (closed) throw new OboError('The engine is closed.', { code: 'CLOSED' })
    application ??= new ConfidentialClientApplication({
      auth: {
        clientId: config.clientId,
        // Only a default: every request names its own tenant's authority.
        authority: `${authorityHost}/organizations`,
        ...credential.msalOptions,
        // The engine validated the host already (core's createAuthorityValidator). Naming it here stops MSAL from asking
        // login.microsoftonline.com about it; MSAL still reads the host's OpenID configuration (memoised).
        knownAuthorities: [authorityHost],
      },
      system: {
        networkClient,
        loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined },
      },
    })
    return application
  }

  async function call(
    request: TokenRequestBase,
    acquire: (cca: ConfidentialClientApplication, common: CommonRequest) => Promise<AuthenticationResult | null>,
  ): Promise<TokenResult> {
    assertTokenRequest(request)
    if (request.signal?.aborted === true) throw abortedError(request.signal)
    const cca = app()
    await raceAbort(validator.ensureValid(request.tenantId), request.signal)
    const context = createCallContext()
    const common: CommonRequest = {
      scopes: [...request.scopes],
      authority: `${authorityHost}/${request.tenantId}`,
      correlationId: randomUUID(),
      ...optional('claims', request.claims === undefined || request.claims.trim() === '' ? undefined : request.claims),
    }
    const work = runInCallContext(context, () => acquire(cca, common)).then(
      (result) => toTokenResult(context.tokenResponse, result, request.scopes),
      (error: unknown) => {
        throw toOboError(error, context, config.credential.kind)
      },
    )
    // Core's cache is the cache of record: whatever MSAL stored for this call goes once the call settles
    // (authority metadata stays). The cache therefore never holds more than the calls in flight.
    void work.then(forget, forget)
    function forget(): void {
      cca.clearCache()
    }
    return raceAbort(work, request.signal, () => context.controller.abort())
  }

  const engine: MsalEngine = {
    name: 'msal',
    // The jose engine's format: the same app and credential give the same fingerprint under either engine.
    fingerprint: engineFingerprint({
      authorityHost,
      clientId: config.clientId,
      credentialIdentity: credential.identity,
    }),
    exchange(request: ExchangeRequest): Promise<TokenResult> {
      return call(request, (cca, common) => {
        assertUserAssertion(request.userAssertion)
        return cca.acquireTokenOnBehalfOf({ ...common, oboAssertion: request.userAssertion, skipCache: true })
      })
    },
    redeemRefreshToken(request: RefreshRequest): Promise<TokenResult> {
      return call(request, (cca, common) => {
        assertRefreshToken(request.refreshToken)
        return cca.acquireTokenByRefreshToken({ ...common, refreshToken: request.refreshToken })
      })
    },
    close(): Promise<void> {
      closed = true
      application?.clearCache()
      application = undefined
      return Promise.resolve()
    },
    stats(): MsalEngineStats {
      const keys = application === undefined ? [] : Object.keys(application.getTokenCache().getKVStore())
      return {
        applicationCreated: application !== undefined,
        msalCacheEntries: keys.length,
        authorityMetadataEntries: keys.filter((key) => key.startsWith('authority-metadata-')).length,
      }
    },
  }
  return engine
}
interface CommonRequest {
  scopes: string[]
  authority: string
  correlationId: string
  claims?: string
}
