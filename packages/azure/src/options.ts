/**
 * The credential's options in both constructor shapes (positional and `@azure/identity`'s options object) and
 * `createOnBehalfOf`'s configuration, read into one raw shape and validated by one function.
 *
 * @module
 */
import { AzureAuthorityHosts, type EngineFactory, type TokenCache, type TokenEvent } from '@onbehalf/core'
import { assertTenantId, normalizeAuthorityHost } from '@onbehalf/core/engine'
import { readEnv } from './env.ts'

/** A client-assertion callback: returns a signed JWT (e.g. a managed identity's federated token). */
export type ClientAssertionCallback = () => string | Promise<string>

/** Options both constructor shapes accept beyond the client credential. */
export interface OnBehalfOfCommonOptions {
  /** Password of an encrypted PEM key or a PKCS#12 file; a string is taken as UTF-8. */
  readonly password?: string | Uint8Array
  /** Send the certificate chain (`x5c`) for subject name / issuer authentication. */
  readonly sendCertificateChain?: boolean
  /** Further tenants `getToken({ tenantId })` may ask for; `'*'` allows any tenant. */
  readonly additionallyAllowedTenants?: readonly string[]
  /** Skip instance discovery (private clouds, Azure Stack, the emulator). */
  readonly disableInstanceDiscovery?: boolean
  /** Where tokens are cached. Default: one bounded memory cache shared by every credential in the process. */
  readonly cache?: TokenCache
  /**
   * The protocol engine factory. Default: `createJoseEngine()` from `@onbehalf/jose`; `createMsalEngine()` from
   * `@onbehalf/msal` fits. Create it once: credentials share engines per factory.
   */
  readonly engine?: EngineFactory
  /** The `fetch` for every call to Entra (e.g. one that trusts a private CA). */
  readonly fetch?: typeof globalThis.fetch
  /** Cache and token events of this credential's calls (hit, miss, coalesced, refresh, error): for metrics. */
  readonly onEvent?: (event: TokenEvent) => void
  /**
   * Once the user assertion has expired, how long after its FIRST exchange its refresh token may still be
   * redeemed for new tokens, in milliseconds (redemptions do not extend it). `0` turns redemption off: an
   * expired assertion then always fails. Default 24 hours. See the README, "Expired assertions".
   */
  readonly refreshTokenWindowMs?: number
}

/**
 * The client credential of the positional shape, of {@link createOnBehalfOf}'s configuration and of
 * `@onbehalf/server`'s `createProtectedApi`: exactly one of `clientSecret`, `clientCertificate`,
 * `clientCertificatePath` or `getClientAssertion`. None, two, or a value whose type allows `undefined` (an
 * unchecked `process.env` read) does not compile; the others may be left out or `undefined`. JavaScript callers
 * get the same rule as a `TypeError` at construction.
 *
 * @example
 * ```ts
 * const clientSecret = process.env.CLIENT_SECRET
 * if (!clientSecret) throw new Error('Set CLIENT_SECRET to the client secret of your API app registration.')
 * const credential: ClientCredentialOptions = { clientSecret }
 * ```
 */
export type ClientCredentialOptions =
  | {
      /** The client secret of your API's app registration. */
      readonly clientSecret: string
      readonly clientCertificate?: undefined
      readonly clientCertificatePath?: undefined
      readonly getClientAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      /** PEM (text or bytes: private key + certificate, key possibly encrypted) or PKCS#12 bytes. */
      readonly clientCertificate: string | Uint8Array
      readonly clientCertificatePath?: undefined
      readonly getClientAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      readonly clientCertificate?: undefined
      /** Path of a PEM or PKCS#12 file; read once per file version and shared by every credential. */
      readonly clientCertificatePath: string
      readonly getClientAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      readonly clientCertificate?: undefined
      readonly clientCertificatePath?: undefined
      /** Returns a signed client assertion; called once per token request (never for a cached token). */
      readonly getClientAssertion: ClientAssertionCallback
    }

/**
 * The client credential of `@azure/identity`'s shape ({@link OnBehalfOfCredentialIdentityOptions}): exactly one
 * of `clientSecret`, `certificatePath`, `clientCertificate` or `getAssertion`, with the same rule as
 * {@link ClientCredentialOptions}.
 *
 * @example
 * ```ts
 * const credential: IdentityClientCredentialOptions = { certificatePath: '/etc/secrets/api.pem' }
 * ```
 */
export type IdentityClientCredentialOptions =
  | {
      /** The client secret of your API's app registration. */
      readonly clientSecret: string
      readonly certificatePath?: undefined
      readonly clientCertificate?: undefined
      readonly getAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      /** Path of a PEM (or PKCS#12) file holding the private key and certificate. */
      readonly certificatePath: string
      readonly clientCertificate?: undefined
      readonly getAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      readonly certificatePath?: undefined
      /** PEM or PKCS#12 content, as in the positional shape. */
      readonly clientCertificate: string | Uint8Array
      readonly getAssertion?: undefined
    }
  | {
      readonly clientSecret?: undefined
      readonly certificatePath?: undefined
      readonly clientCertificate?: undefined
      /** Returns a signed client assertion; called once per token request (never for a cached token). */
      readonly getAssertion: ClientAssertionCallback
    }

/**
 * Options of the positional shape, `new OnBehalfOfCredential(tenantId, clientId, options)`: the user assertion,
 * exactly one client credential ({@link ClientCredentialOptions}) and the {@link OnBehalfOfCommonOptions}.
 *
 * @example
 * ```ts
 * const options: OnBehalfOfCredentialOptions = { userAssertion, clientCertificatePath: '/etc/secrets/api.pem' }
 * const credential = new OnBehalfOfCredential(tenantId, clientId, options)
 * ```
 */
export type OnBehalfOfCredentialOptions = OnBehalfOfCommonOptions &
  ClientCredentialOptions & {
    /** The access token your API received (the user assertion). Required. */
    readonly userAssertion: string
    /** Entra host or https URL. Default: `AZURE_AUTHORITY_HOST`, else the public cloud. */
    readonly authority?: string
  }

/**
 * The configuration of {@link createOnBehalfOf}: the positional shape's options without the user assertion, plus
 * the tenant and client. Validated once; each request then costs a closure. Exactly one client credential
 * ({@link ClientCredentialOptions}).
 *
 * @example
 * ```ts
 * const config: OnBehalfOfConfig = { tenantId, clientId, getClientAssertion: managedIdentityAssertion() }
 * const obo = createOnBehalfOf(config)
 * ```
 */
export type OnBehalfOfConfig = OnBehalfOfCommonOptions &
  ClientCredentialOptions & {
    /** The tenant of your API's app registration (a GUID or domain). */
    readonly tenantId: string
    /** The application (client) ID of your API's app registration. */
    readonly clientId: string
    /** Entra host or https URL. Default: `AZURE_AUTHORITY_HOST`, else the public cloud. */
    readonly authority?: string
  }

/**
 * Options of `@azure/identity`'s shape, `new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken, … })`,
 * so code written for `@azure/identity` switches by changing the import. Exactly one client credential
 * ({@link IdentityClientCredentialOptions}: `clientSecret`, `certificatePath`, `getAssertion` or
 * `clientCertificate`).
 *
 * @example
 * ```ts
 * const credential = new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken, clientSecret })
 * ```
 */
export type OnBehalfOfCredentialIdentityOptions = OnBehalfOfCommonOptions &
  IdentityClientCredentialOptions & {
    /** The tenant of your API's app registration (a GUID or domain). */
    readonly tenantId: string
    /** The application (client) ID of your API's app registration. */
    readonly clientId: string
    /** The access token your API received (the user assertion). Required. */
    readonly userAssertionToken: string
    /** Entra host or https URL. Default: `AZURE_AUTHORITY_HOST`, else the public cloud. */
    readonly authorityHost?: string
  }

/** Where the client credential comes from, after validation. */
export type CredentialSource =
  | { readonly kind: 'secret'; readonly secret: string }
  | {
      readonly kind: 'certificate'
      readonly certificate: string | Uint8Array
      readonly password: string | Uint8Array | undefined
      readonly sendCertificateChain: boolean
    }
  | {
      readonly kind: 'certificate-file'
      readonly path: string
      readonly password: string | Uint8Array | undefined
      readonly sendCertificateChain: boolean
    }
  | { readonly kind: 'assertion'; readonly getAssertion: ClientAssertionCallback }

/** The names the caller used, so messages name the argument as the caller wrote it. */
export interface ArgumentNames {
  readonly userAssertion: string
  readonly clientSecret: string
  readonly clientCertificate: string
  readonly clientCertificatePath: string
  readonly getClientAssertion: string
  readonly authority: string
}

/** Validated settings of one client configuration (everything but the user assertion). */
export interface ConfigSettings {
  readonly tenantId: string
  readonly clientId: string
  readonly source: CredentialSource
  /** An https origin. */
  readonly authorityHost: string
  readonly additionallyAllowedTenants: readonly string[]
  readonly disableInstanceDiscovery: boolean
  readonly cache: TokenCache | undefined
  readonly engine: EngineFactory | undefined
  readonly fetch: typeof globalThis.fetch | undefined
  readonly onEvent: ((event: TokenEvent) => void) | undefined
  readonly refreshTokenWindowMs: number | undefined
  readonly names: ArgumentNames
}

/** Validated settings of one credential. */
export interface CredentialSettings extends ConfigSettings {
  readonly userAssertion: string
}

export const seedNames: ArgumentNames = {
  userAssertion: 'userAssertion',
  clientSecret: 'clientSecret',
  clientCertificate: 'clientCertificate',
  clientCertificatePath: 'clientCertificatePath',
  getClientAssertion: 'getClientAssertion',
  authority: 'authority',
}

const identityNames: ArgumentNames = {
  userAssertion: 'userAssertionToken',
  clientSecret: 'clientSecret',
  clientCertificate: 'clientCertificate',
  clientCertificatePath: 'certificatePath',
  getClientAssertion: 'getAssertion',
  authority: 'authorityHost',
}

/**
 * Either shape (and `createOnBehalfOf`'s configuration) mapped onto one set of fields, not yet validated. Two
 * raw configurations with the same values (`===`) validate to the same settings, which lets per-request
 * constructors reuse one validated configuration.
 */
export interface RawConfig {
  readonly tenantId: unknown
  readonly clientId: unknown
  readonly clientSecret: unknown
  readonly clientCertificate: unknown
  readonly clientCertificatePath: unknown
  readonly getClientAssertion: unknown
  readonly authority: unknown
  readonly password: unknown
  readonly sendCertificateChain: unknown
  readonly additionallyAllowedTenants: unknown
  readonly disableInstanceDiscovery: unknown
  readonly cache: unknown
  readonly engine: unknown
  readonly fetch: unknown
  readonly onEvent: unknown
  readonly refreshTokenWindowMs: unknown
  readonly names: ArgumentNames
  /** The caller's options object, read again only to word an error. */
  readonly given: Readonly<Record<string, unknown>>
}

/** The constructor's arguments, read: the configuration and the user assertion. */
export interface ReadArguments {
  readonly raw: RawConfig
  readonly userAssertion: unknown
}

/**
 * Reads the constructor's arguments in either shape (no validation beyond the shape itself).
 *
 * @throws TypeError when the positional shape's `options` is not an object.
 * @example
 * ```ts
 * const { raw, userAssertion } = readArguments([tenantId, clientId, { userAssertion, clientSecret }])
 * ```
 */
export function readArguments(args: readonly unknown[]): ReadArguments {
  const first = args[0]
  if (isRecord(first) && args.length === 1) {
    return {
      raw: readRaw(first, first['tenantId'], first['clientId'], identityNames),
      userAssertion: first['userAssertionToken'],
    }
  }
  const third = args[2]
  if (third !== undefined && !isRecord(third)) {
    throw new TypeError(
      'OnBehalfOfCredential: "options" must be an object holding at least "userAssertion" and a client credential.',
    )
  }
  const options = third ?? {}
  return { raw: readRaw(options, first, args[1], seedNames), userAssertion: options['userAssertion'] }
}

/**
 * Reads `createOnBehalfOf`'s configuration.
 *
 * @throws TypeError when `config` is not an object.
 * @example
 * ```ts
 * const raw = readConfig({ tenantId, clientId, clientSecret })
 * ```
 */
export function readConfig(config: unknown): RawConfig {
  if (!isRecord(config)) {
    throw new TypeError(
      'createOnBehalfOf: "config" must be an object holding tenantId, clientId and a client credential.',
    )
  }
  return readRaw(config, config['tenantId'], config['clientId'], seedNames)
}

function readRaw(
  given: Readonly<Record<string, unknown>>,
  tenantId: unknown,
  clientId: unknown,
  names: ArgumentNames,
): RawConfig {
  return {
    tenantId,
    clientId,
    clientSecret: given['clientSecret'],
    clientCertificate: given['clientCertificate'],
    clientCertificatePath: given[names.clientCertificatePath],
    getClientAssertion: given[names.getClientAssertion],
    authority: given[names.authority],
    password: given['password'],
    sendCertificateChain: given['sendCertificateChain'],
    additionallyAllowedTenants: given['additionallyAllowedTenants'],
    disableInstanceDiscovery: given['disableInstanceDiscovery'],
    cache: given['cache'],
    engine: given['engine'],
    fetch: given['fetch'],
    onEvent: given['onEvent'],
    refreshTokenWindowMs: given['refreshTokenWindowMs'],
    names,
    given,
  }
}

/**
 * Whether two raw configurations hold the same values (`===`), so they validate to the same settings (the
 * environment aside: see `AZURE_AUTHORITY_HOST`).
 *
 * @example
 * ```ts
 * if (sameRawConfig(last.raw, raw)) return last.configuration
 * ```
 */
export function sameRawConfig(a: RawConfig, b: RawConfig): boolean {
  return (
    a.tenantId === b.tenantId &&
    a.clientId === b.clientId &&
    a.clientSecret === b.clientSecret &&
    a.clientCertificate === b.clientCertificate &&
    a.clientCertificatePath === b.clientCertificatePath &&
    a.getClientAssertion === b.getClientAssertion &&
    a.authority === b.authority &&
    a.password === b.password &&
    a.sendCertificateChain === b.sendCertificateChain &&
    a.additionallyAllowedTenants === b.additionallyAllowedTenants &&
    a.disableInstanceDiscovery === b.disableInstanceDiscovery &&
    a.cache === b.cache &&
    a.engine === b.engine &&
    a.fetch === b.fetch &&
    a.onEvent === b.onEvent &&
    a.refreshTokenWindowMs === b.refreshTokenWindowMs &&
    a.names === b.names
  )
}

/**
 * Validates the constructor's arguments in either shape and returns the settings.
 *
 * @throws TypeError naming the argument: invalid tenant, empty client ID, missing or empty user assertion, no
 *   or several client credentials, a non-https authority, a wrongly typed option.
 * @example
 * ```ts
 * const settings = normalizeArguments([tenantId, clientId, { userAssertion, clientSecret }])
 * const same = normalizeArguments([{ tenantId, clientId, userAssertionToken: userAssertion, clientSecret }])
 * ```
 */
export function normalizeArguments(args: readonly unknown[]): CredentialSettings {
  const { raw, userAssertion } = readArguments(args)
  const settings = validateConfig(raw, 'OnBehalfOfCredential')
  return { ...settings, userAssertion: checkUserAssertion(userAssertion, raw.names.userAssertion) }
}

/**
 * The user assertion, checked: a non-empty string, without the `Bearer ` prefix of the header it came in.
 *
 * @throws TypeError naming the argument and saying what to do.
 * @example
 * ```ts
 * const userAssertion = checkUserAssertion(request.headers.authorization?.slice(7), 'userAssertion')
 * ```
 */
export function checkUserAssertion(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length > 7 && !bearerPrefix.test(value)) return value
  if (value === undefined || value === null || value === '') {
    throw new TypeError(`OnBehalfOfCredential: "${name}" must not be empty: pass the access token your API received.`)
  }
  if (typeof value !== 'string') {
    throw new TypeError(`OnBehalfOfCredential: "${name}" must be a string (the access token your API received).`)
  }
  if (bearerPrefix.test(value)) {
    throw new TypeError(
      `OnBehalfOfCredential: "${name}" starts with "Bearer ": pass the token alone, without the scheme of the Authorization header (strip the "Bearer " prefix).`,
    )
  }
  return value
}

// The Authorization header's scheme, case-insensitive as RFC 7235 says; a JWT never starts with it.
const bearerPrefix = /^bearer\s/i

/**
 * Validates a raw configuration once.
 *
 * @param who The API that was called, for messages: `'OnBehalfOfCredential'` or `'createOnBehalfOf'`.
 * @throws TypeError naming the argument: invalid tenant, empty client ID, no or several client credentials, a
 *   non-https authority, a wrongly typed option.
 * @example
 * ```ts
 * const settings = validateConfig(readConfig({ tenantId, clientId, clientSecret }), 'createOnBehalfOf')
 * ```
 */
export function validateConfig(raw: RawConfig, who: string): ConfigSettings {
  const { names } = raw
  assertTenantId(raw.tenantId, 'tenantId')
  if (typeof raw.clientId !== 'string' || raw.clientId.trim() === '') {
    throw new TypeError(
      `${who}: "clientId" must be a non-empty string: the application (client) ID of your API's app registration.`,
    )
  }
  const source = credentialSource(raw, who)
  if (raw.password !== undefined && source.kind !== 'certificate' && source.kind !== 'certificate-file') {
    throw new TypeError(
      `${who}: "password" is only used with "${names.clientCertificate}" or "${names.clientCertificatePath}".`,
    )
  }
  const authorityHost =
    raw.authority !== undefined
      ? normalizeAuthorityHost(raw.authority as string, names.authority)
      : normalizeAuthorityHost(
          readEnv('AZURE_AUTHORITY_HOST') ?? AzureAuthorityHosts.AzurePublicCloud,
          'AZURE_AUTHORITY_HOST',
        )
  return {
    tenantId: raw.tenantId,
    clientId: raw.clientId,
    source,
    authorityHost,
    additionallyAllowedTenants: allowedTenants(raw.additionallyAllowedTenants, who),
    disableInstanceDiscovery: booleanOption(raw.disableInstanceDiscovery, 'disableInstanceDiscovery', who),
    cache: cacheOption(raw.cache, who),
    engine: functionOption<EngineFactory>(raw.engine, 'engine', who),
    fetch: functionOption<typeof globalThis.fetch>(raw.fetch, 'fetch', who),
    onEvent: functionOption<(event: TokenEvent) => void>(raw.onEvent, 'onEvent', who),
    refreshTokenWindowMs: windowOption(raw.refreshTokenWindowMs, who),
    names,
  }
}

function credentialSource(raw: RawConfig, who: string): CredentialSource {
  const { names } = raw
  // An empty value counts as not given (the positional shape's contract).
  let name: 'clientSecret' | 'clientCertificate' | 'clientCertificatePath' | 'getClientAssertion' | undefined
  let value: unknown
  let count = 0
  if (isGiven(raw.clientSecret)) [name, value, count] = ['clientSecret', raw.clientSecret, count + 1]
  if (isGiven(raw.clientCertificate)) [name, value, count] = ['clientCertificate', raw.clientCertificate, count + 1]
  if (isGiven(raw.clientCertificatePath)) {
    ;[name, value, count] = ['clientCertificatePath', raw.clientCertificatePath, count + 1]
  }
  if (isGiven(raw.getClientAssertion)) [name, value, count] = ['getClientAssertion', raw.getClientAssertion, count + 1]
  if (name === undefined || count > 1) throw credentialCountError(raw, who)
  const password = passwordOption(raw.password, who)
  const sendCertificateChain = booleanOption(raw.sendCertificateChain, 'sendCertificateChain', who)
  switch (name) {
    case 'clientSecret':
      if (typeof value !== 'string') {
        throw new TypeError(`${who}: "${names.clientSecret}" must be a string.`)
      }
      return { kind: 'secret', secret: value }
    case 'clientCertificate':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new TypeError(
          `${who}: "${names.clientCertificate}" must be PEM text, or the bytes of a PEM or PKCS12 file.`,
        )
      }
      return { kind: 'certificate', certificate: value, password, sendCertificateChain }
    case 'clientCertificatePath':
      if (typeof value !== 'string') {
        throw new TypeError(`${who}: "${names.clientCertificatePath}" must be a file path (string).`)
      }
      return { kind: 'certificate-file', path: value, password, sendCertificateChain }
    case 'getClientAssertion':
      if (typeof value !== 'function') {
        throw new TypeError(
          `${who}: "${names.getClientAssertion}" must be a function returning a signed client assertion.`,
        )
      }
      return { kind: 'assertion', getAssertion: value as ClientAssertionCallback }
  }
}

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !isEmptyBytes(value)
}

const credentialOptions = ['clientSecret', 'clientCertificate', 'clientCertificatePath', 'getClientAssertion'] as const

function credentialCountError(raw: RawConfig, who: string): TypeError {
  const { names } = raw
  const given = credentialOptions.filter((name) => isGiven(raw[name]))
  const all = `"${names.clientSecret}", "${names.clientCertificate}", "${names.clientCertificatePath}" or "${names.getClientAssertion}"`
  if (given.length === 0) {
    // An option written but holding nothing is almost always an unset environment variable: name it.
    const empty = credentialOptions
      .map((name) => names[name])
      .filter((name) => Object.hasOwn(raw.given, name))
      .map((name) => `"${name}" is ${describeEmpty(raw.given[name])}`)
    if (empty.length > 0) {
      return new TypeError(
        `${who}: ${empty.join(', ')} (an unset environment variable?). Give it a value: one of ${all} must be provided.`,
      )
    }
    return new TypeError(`${who}: either ${all} must be provided.`)
  }
  const got = given.map((name) => `"${names[name]}"`).join(' and ')
  return new TypeError(`${who}: it is invalid to specify more than one of the following: ${all} (got ${got}).`)
}

function describeEmpty(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  return 'empty'
}

function allowedTenants(value: unknown, who: string): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((tenant) => typeof tenant === 'string')) {
    throw new TypeError(`${who}: "additionallyAllowedTenants" must be an array of tenant IDs (or "*").`)
  }
  return value.includes('*') ? ['*'] : Object.freeze([...value])
}

function passwordOption(value: unknown, who: string): string | Uint8Array | undefined {
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array) return value
  throw new TypeError(`${who}: "password" must be a string (UTF-8) or bytes.`)
}

function booleanOption(value: unknown, name: string, who: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new TypeError(`${who}: "${name}" must be a boolean.`)
  return value
}

function functionOption<T>(value: unknown, name: string, who: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new TypeError(`${who}: "${name}" must be a function.`)
  return value as T
}

function windowOption(value: unknown, who: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(
      `${who}: "refreshTokenWindowMs" must be a number of milliseconds, 0 or more (0 turns refresh-token redemption off).`,
    )
  }
  return value
}

function cacheOption(value: unknown, who: string): TokenCache | undefined {
  if (value === undefined) return undefined
  if (
    !isRecord(value) ||
    typeof value['get'] !== 'function' ||
    typeof value['set'] !== 'function' ||
    typeof value['delete'] !== 'function'
  ) {
    throw new TypeError(`${who}: "cache" must be a TokenCache (an object with get, set and delete).`)
  }
  return value as unknown as TokenCache
}

function isEmptyBytes(value: unknown): boolean {
  return value instanceof Uint8Array && value.length === 0
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
