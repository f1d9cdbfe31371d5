/**
 * A client configuration, validated once, and the token provider it uses: what `createOnBehalfOf` builds and
 * what every credential of that configuration shares. Per-request constructors of the positional shape find theirs
 * through {@link configurationFor}, the one memo of the construction path.
 *
 * @module
 */
import { OboError, type TokenProvider } from '@onbehalf/core'
import { createJoseEngine } from '@onbehalf/jose'
import { readCertificateFile } from './certificate-file.ts'
import { identifyAssertion, identifyCertificate, identifySecret, type IdentifiedCredential } from './client-identity.ts'
import { readEnv } from './env.ts'
import { CredentialUnavailableError } from './errors.ts'
import { sameRawConfig, validateConfig, type ConfigSettings, type RawConfig } from './options.ts'
import { sharedProvider } from './registry.ts'

/** A validated client configuration and its provider. */
export interface Configuration {
  readonly settings: ConfigSettings
  /** Set at validation, except for certificate files, which are resolved per call (rotation). */
  readonly provider: TokenProvider | undefined
  /** For a certificate file: the provider of the version read last (for `stats()`). */
  fileProvider?: TokenProvider
}

/**
 * Validates a raw configuration and finds (or creates) its shared provider. A certificate given inline is
 * parsed here, once per process (the certificate package remembers it).
 *
 * @param who The API that was called, for messages.
 * @throws TypeError naming the argument, as `validateConfig`, and for a certificate that cannot be used.
 * @example
 * ```ts
 * const configuration = createConfiguration(readConfig(config), 'createOnBehalfOf')
 * ```
 */
export function createConfiguration(raw: RawConfig, who: string): Configuration {
  const settings = validateConfig(raw, who)
  const { source } = settings
  if (source.kind === 'certificate-file') return { settings, provider: undefined }
  let credential: IdentifiedCredential
  switch (source.kind) {
    case 'secret':
      credential = identifySecret(source.secret)
      break
    case 'assertion':
      credential = identifyAssertion(source.getAssertion)
      break
    case 'certificate':
      try {
        credential = identifyCertificate(source.certificate, source.password, source.sendCertificateChain)
      } catch (error) {
        throw certificateTypeError(error, `"${settings.names.clientCertificate}"`, who)
      }
      break
  }
  try {
    return { settings, provider: providerFor(settings, credential) }
  } catch (error) {
    throw engineTypeError(error, who)
  }
}

// The constructor's memo: per-request credentials nearly always repeat the last configuration, value for value.
let last:
  | { readonly raw: RawConfig; readonly envAuthority: string | undefined; readonly configuration: Configuration }
  | undefined

/**
 * The configuration of a positional-shape constructor call: the last one again when every option holds the same
 * value (and, without `authority`, `AZURE_AUTHORITY_HOST` is unchanged), else a newly validated one.
 *
 * @throws TypeError naming the argument, as {@link createConfiguration}.
 * @example
 * ```ts
 * const { raw, userAssertion } = readArguments(args)
 * const configuration = configurationFor(raw)
 * ```
 */
export function configurationFor(raw: RawConfig): Configuration {
  // Read only when it decides the authority, as the Azure SDK reads it: at construction.
  const envAuthority = raw.authority === undefined ? readEnv('AZURE_AUTHORITY_HOST') : undefined
  if (last !== undefined && last.envAuthority === envAuthority && sameRawConfig(last.raw, raw)) {
    return last.configuration
  }
  const configuration = createConfiguration(raw, 'OnBehalfOfCredential')
  last = { raw, envAuthority, configuration }
  return configuration
}

/**
 * The provider for a certificate file's current content (read once per file version, parsed once per process).
 *
 * @throws CredentialUnavailableError `INVALID_CERTIFICATE` when the file cannot be read or used: it may be fixed
 *   or rotated while the process runs.
 * @example
 * ```ts
 * const provider = configuration.provider ?? (await providerForFile(configuration))
 * ```
 */
export async function providerForFile(configuration: Configuration): Promise<TokenProvider> {
  const { settings } = configuration
  const { source } = settings
  if (source.kind !== 'certificate-file') throw new Error('unreachable: not a certificate file')
  let credential: IdentifiedCredential
  try {
    const bytes = await readCertificateFile(source.path)
    credential = identifyCertificate(bytes, source.password, source.sendCertificateChain, true)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new CredentialUnavailableError(
      `OnBehalfOfCredential: the certificate at "${settings.names.clientCertificatePath}" cannot be used: ${message}`,
      { code: 'INVALID_CERTIFICATE', cause: error },
    )
  }
  const provider = providerFor(settings, credential)
  configuration.fileProvider = provider
  return provider
}

function providerFor(settings: ConfigSettings, credential: IdentifiedCredential): TokenProvider {
  return sharedProvider({
    engine: settings.engine ?? createJoseEngine(),
    authorityHost: settings.authorityHost,
    clientId: settings.clientId,
    credential,
    disableInstanceDiscovery: settings.disableInstanceDiscovery,
    fetch: settings.fetch,
    cache: settings.cache,
  })
}

function certificateTypeError(error: unknown, argument: string, who: string): Error {
  if (error instanceof OboError && error.code === 'INVALID_CERTIFICATE') {
    return new TypeError(`${who}: ${argument} is not a valid certificate in PEM or PKCS12 format. ${error.message}`, {
      cause: error,
    })
  }
  return error instanceof Error ? error : new TypeError(String(error))
}

function engineTypeError(error: unknown, who: string): Error {
  if (error instanceof TypeError) return error
  if (error instanceof OboError && error.code === 'INVALID_CERTIFICATE') {
    return certificateTypeError(error, 'the certificate', who)
  }
  if (error instanceof OboError) {
    return new TypeError(`${who}: the engine refused the configuration: ${error.message}`, { cause: error })
  }
  return error instanceof Error ? error : new TypeError(String(error))
}
