/**
 * The credential's options in both constructor shapes (the seed's and `@azure/identity`'s), and the one
 * function that turns either into validated settings.
 *
 * @module
 */
import {
  assertTenantId,
  AzureAuthorityHosts,
  normalizeAuthorityHost,
  type EngineFactory,
  type TokenCache,
  type TokenEvent,
} from '@onbehalf/core'
import { readEnvRecent } from './env.ts'

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
  /** The protocol engine. Default: `joseEngine` from `@onbehalf/jose`; `msalEngine` from `@onbehalf/msal` fits. */
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
 * Options of the seed's shape, `new OnBehalfOfCredential(tenantId, clientId, options)`. Give exactly one of
 * `clientSecret`, `clientCertificate`, `clientCertificatePath`, `getClientAssertion`.
 */
export interface OnBehalfOfCredentialOptions extends OnBehalfOfCommonOptions {
  /** The access token your API received (the user assertion). Required. */
  readonly userAssertion: string
  readonly clientSecret?: string
  /** PEM (text or bytes: private key + certificate, key possibly encrypted) or PKCS#12 bytes. */
  readonly clientCertificate?: string | Uint8Array
  /** Path of a PEM or PKCS#12 file; read once per file version and shared by every credential. */
  readonly clientCertificatePath?: string
  /** Called once per token request (never for a cached token). */
  readonly getClientAssertion?: ClientAssertionCallback
  /** Entra host or https URL. Default: `AZURE_AUTHORITY_HOST`, else the public cloud. */
  readonly authority?: string
}

/**
 * Options of `@azure/identity`'s shape, `new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken, … })`,
 * so code written for `@azure/identity` switches by changing the import. Give exactly one of `clientSecret`,
 * `certificatePath`, `getAssertion` (or `clientCertificate`).
 */
export interface OnBehalfOfCredentialIdentityOptions extends OnBehalfOfCommonOptions {
  readonly tenantId: string
  readonly clientId: string
  /** The access token your API received (the user assertion). Required. */
  readonly userAssertionToken: string
  readonly clientSecret?: string
  /** Path of a PEM (or PKCS#12) file holding the private key and certificate. */
  readonly certificatePath?: string
  /** PEM or PKCS#12 content, as in the seed's shape. */
  readonly clientCertificate?: string | Uint8Array
  /** Called once per token request (never for a cached token). */
  readonly getAssertion?: ClientAssertionCallback
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

/** Validated settings of one credential. */
export interface CredentialSettings {
  readonly tenantId: string
  readonly clientId: string
  readonly userAssertion: string
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

const seedNames: ArgumentNames = {
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

/** Both shapes, mapped onto one set of fields; validation happens once, in {@link validate}. */
interface RawArguments {
  readonly tenantId: unknown
  readonly clientId: unknown
  readonly userAssertion: unknown
  readonly clientSecret: unknown
  readonly clientCertificate: unknown
  readonly clientCertificatePath: unknown
  readonly getClientAssertion: unknown
  readonly authority: unknown
  readonly common: Partial<Record<keyof OnBehalfOfCommonOptions, unknown>>
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
  const [second, rawFirst, rawThird] = [args[1], args[0], args[2]]
  const first = readable(rawFirst)
  const third = readable(rawThird)
  if (isRecord(first) && args.length === 1) {
    return validate(
      {
        tenantId: first['tenantId'],
        clientId: first['clientId'],
        userAssertion: first['userAssertionToken'],
        clientSecret: first['clientSecret'],
        clientCertificate: first['clientCertificate'],
        clientCertificatePath: first['certificatePath'],
        getClientAssertion: first['getAssertion'],
        authority: first['authorityHost'],
        common: first,
      },
      identityNames,
    )
  }
  if (third !== undefined && !isRecord(third)) {
    throw new TypeError(
      'OnBehalfOfCredential: "options" must be an object holding at least "userAssertion" and a client credential.',
    )
  }
  const options = third ?? {}
  return validate(
    {
      tenantId: first,
      clientId: second,
      userAssertion: options['userAssertion'],
      clientSecret: options['clientSecret'],
      clientCertificate: options['clientCertificate'],
      clientCertificatePath: options['clientCertificatePath'],
      getClientAssertion: options['getClientAssertion'],
      authority: options['authority'],
      common: options,
    },
    seedNames,
  )
}

/**
 * A plain options object copied into one of a stable shape. On Node 20 (V8 11), objects made by spreading
 * another (`{ ...base, userAssertion }`, the natural per-request pattern) each get a map of their own, and every
 * property read on them takes a slow path (~0.5 µs each; ~4 µs per construction). One copy costs less than the
 * reads it makes fast. Node 22+ does not need it; objects with their own prototype are read as they are.
 */
function readable(value: unknown): unknown {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
    ? Object.assign({}, value)
    : value
}

function validate(raw: RawArguments, names: ArgumentNames): CredentialSettings {
  assertTenantId(raw.tenantId, 'tenantId')
  if (typeof raw.clientId !== 'string' || raw.clientId.trim() === '') {
    throw new TypeError(
      'OnBehalfOfCredential: "clientId" must be a non-empty string: the application (client) ID of your API\'s app registration.',
    )
  }
  if (raw.userAssertion === undefined || raw.userAssertion === null || raw.userAssertion === '') {
    throw new TypeError(
      `OnBehalfOfCredential: "${names.userAssertion}" must not be empty: pass the access token your API received.`,
    )
  }
  if (typeof raw.userAssertion !== 'string') {
    throw new TypeError(
      `OnBehalfOfCredential: "${names.userAssertion}" must be a string (the access token your API received).`,
    )
  }
  const { common } = raw
  const source = credentialSource(raw, names)
  if (common.password !== undefined && source.kind !== 'certificate' && source.kind !== 'certificate-file') {
    throw new TypeError(
      `OnBehalfOfCredential: "password" is only used with "${names.clientCertificate}" or "${names.clientCertificatePath}".`,
    )
  }
  const authorityHost =
    raw.authority !== undefined
      ? authorityOrigin(raw.authority, names.authority)
      : authorityOrigin(
          readEnvRecent('AZURE_AUTHORITY_HOST') ?? AzureAuthorityHosts.AzurePublicCloud,
          'AZURE_AUTHORITY_HOST',
        )
  return {
    tenantId: raw.tenantId,
    clientId: raw.clientId,
    userAssertion: raw.userAssertion,
    source,
    authorityHost,
    additionallyAllowedTenants: allowedTenants(common.additionallyAllowedTenants),
    disableInstanceDiscovery: booleanOption(common.disableInstanceDiscovery, 'disableInstanceDiscovery'),
    cache: cacheOption(common.cache),
    engine: functionOption<EngineFactory>(common.engine, 'engine'),
    fetch: functionOption<typeof globalThis.fetch>(common.fetch, 'fetch'),
    onEvent: functionOption<(event: TokenEvent) => void>(common.onEvent, 'onEvent'),
    refreshTokenWindowMs: windowOption(common.refreshTokenWindowMs),
    names,
  }
}

function credentialSource(raw: RawArguments, names: ArgumentNames): CredentialSource {
  // As in the seed, an empty value counts as not given. Counted without allocating: this runs per request.
  let name: 'clientSecret' | 'clientCertificate' | 'clientCertificatePath' | 'getClientAssertion' | undefined
  let value: unknown
  let count = 0
  if (isGiven(raw.clientSecret)) [name, value, count] = ['clientSecret', raw.clientSecret, count + 1]
  if (isGiven(raw.clientCertificate)) [name, value, count] = ['clientCertificate', raw.clientCertificate, count + 1]
  if (isGiven(raw.clientCertificatePath)) {
    ;[name, value, count] = ['clientCertificatePath', raw.clientCertificatePath, count + 1]
  }
  if (isGiven(raw.getClientAssertion)) [name, value, count] = ['getClientAssertion', raw.getClientAssertion, count + 1]
  if (name === undefined || count > 1) throw credentialCountError(raw, names)
  const password = passwordOption(raw.common.password)
  const sendCertificateChain = booleanOption(raw.common.sendCertificateChain, 'sendCertificateChain')
  switch (name) {
    case 'clientSecret':
      if (typeof value !== 'string') {
        throw new TypeError(`OnBehalfOfCredential: "${names.clientSecret}" must be a string.`)
      }
      return { kind: 'secret', secret: value }
    case 'clientCertificate':
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
        throw new TypeError(
          `OnBehalfOfCredential: "${names.clientCertificate}" must be PEM text, or the bytes of a PEM or PKCS12 file.`,
        )
      }
      return { kind: 'certificate', certificate: value, password, sendCertificateChain }
    case 'clientCertificatePath':
      if (typeof value !== 'string') {
        throw new TypeError(`OnBehalfOfCredential: "${names.clientCertificatePath}" must be a file path (string).`)
      }
      return { kind: 'certificate-file', path: value, password, sendCertificateChain }
    case 'getClientAssertion':
      if (typeof value !== 'function') {
        throw new TypeError(
          `OnBehalfOfCredential: "${names.getClientAssertion}" must be a function returning a signed client assertion.`,
        )
      }
      return { kind: 'assertion', getAssertion: value as ClientAssertionCallback }
  }
}

function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !isEmptyBytes(value)
}

function credentialCountError(raw: RawArguments, names: ArgumentNames): TypeError {
  const given = (
    [
      ['clientSecret', raw.clientSecret],
      ['clientCertificate', raw.clientCertificate],
      ['clientCertificatePath', raw.clientCertificatePath],
      ['getClientAssertion', raw.getClientAssertion],
    ] as const
  ).filter(([, value]) => isGiven(value))
  const all = `"${names.clientSecret}", "${names.clientCertificate}", "${names.clientCertificatePath}" or "${names.getClientAssertion}"`
  if (given.length === 0) return new TypeError(`OnBehalfOfCredential: either ${all} must be provided.`)
  const got = given.map(([name]) => `"${names[name]}"`).join(' and ')
  return new TypeError(
    `OnBehalfOfCredential: it is invalid to specify more than one of the following: ${all} (got ${got}).`,
  )
}

// Credentials are built per request with the same few authorities: parse each URL once.
const authorities = new Map<string, string>()

function authorityOrigin(value: unknown, name: string): string {
  if (typeof value === 'string') {
    const known = authorities.get(value)
    if (known !== undefined) return known
  }
  const origin = normalizeAuthorityHost(value as string, name)
  if (authorities.size >= 64) authorities.clear()
  authorities.set(value as string, origin)
  return origin
}

function allowedTenants(value: unknown): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((tenant) => typeof tenant === 'string')) {
    throw new TypeError('OnBehalfOfCredential: "additionallyAllowedTenants" must be an array of tenant IDs (or "*").')
  }
  return value.includes('*') ? ['*'] : Object.freeze([...(value as string[])])
}

function passwordOption(value: unknown): string | Uint8Array | undefined {
  if (value === undefined || typeof value === 'string' || value instanceof Uint8Array) return value
  throw new TypeError('OnBehalfOfCredential: "password" must be a string (UTF-8) or bytes.')
}

function booleanOption(value: unknown, name: string): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new TypeError(`OnBehalfOfCredential: "${name}" must be a boolean.`)
  return value
}

function functionOption<T>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new TypeError(`OnBehalfOfCredential: "${name}" must be a function.`)
  return value as T
}

function windowOption(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new TypeError(
      'OnBehalfOfCredential: "refreshTokenWindowMs" must be a number of milliseconds, 0 or more (0 turns refresh-token redemption off).',
    )
  }
  return value
}

function cacheOption(value: unknown): TokenCache | undefined {
  if (value === undefined) return undefined
  if (
    !isRecord(value) ||
    typeof value['get'] !== 'function' ||
    typeof value['set'] !== 'function' ||
    typeof value['delete'] !== 'function'
  ) {
    throw new TypeError('OnBehalfOfCredential: "cache" must be a TokenCache (an object with get, set and delete).')
  }
  return value as unknown as TokenCache
}

function isEmptyBytes(value: unknown): boolean {
  return value instanceof Uint8Array && value.length === 0
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}
