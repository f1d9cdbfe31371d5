import { timingSafeEqual, createHash } from 'node:crypto'
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose'
import type { EmulatorApp, EmulatorDirectory, EmulatorTenant } from './directory.ts'
import { errors } from './entra-error.ts'

/**
 * How the client proved itself, which becomes `azpacr` (1 secret, 2 certificate).
 * @example
 * ```ts
 * const azpacr = method === 'private_key_jwt' ? '2' : '1'
 * ```
 */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt'

/**
 * An authenticated client.
 * @example
 * ```ts
 * const { app, method } = await authenticateClient(directory, input)
 * ```
 */
export interface AuthenticatedClient {
  readonly app: EmulatorApp
  readonly method: ClientAuthMethod
}

/**
 * What client authentication reads from a token request.
 * @example
 * ```ts
 * await authenticateClient(directory, { form, authorization, tenant, tenantSegment, acceptedAudiences, nowSeconds })
 * ```
 */
export interface ClientAuthInput {
  readonly form: ReadonlyMap<string, string>
  readonly authorization: string | undefined
  readonly tenant: EmulatorTenant
  /** The tenant segment as the URL named it. */
  readonly tenantSegment: string
  /** Audiences a client assertion may name: the token endpoint URLs of this tenant. */
  readonly acceptedAudiences: readonly string[]
  readonly nowSeconds: number
  /**
   * Checks an assertion that is not self-signed (`iss` is not the client): a platform token against the app's
   * federated identity credentials, or an agent's T1.
   */
  readonly verifyFederated?: (
    app: EmulatorApp,
    assertion: string,
    claims: ReturnType<typeof decodeJwt>,
    nowSeconds: number,
  ) => Promise<void>
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
/** Longest client-assertion lifetime accepted: 10 minutes (plus rounding slack). */
const MAX_ASSERTION_LIFETIME_SECONDS = 600 + 5
const CLOCK_SKEW_SECONDS = 300

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

function parseBasic(authorization: string | undefined): { id: string; secret: string } | undefined {
  if (authorization === undefined) return undefined
  const match = /^Basic\s+(.+)$/i.exec(authorization.trim())
  if (match?.[1] === undefined) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  // RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '))
    } catch {
      return s
    }
  }
  return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) }
}

/**
 * Finds the client of a token request and checks its credential the way Entra does: a secret (body or
 * Basic) or a `private_key_jwt` assertion signed by a registered certificate (RS256/PS256, located by
 * `x5t#S256` or `x5t`, `aud` = this token endpoint, lifetime ≤ 10 minutes; `jti` reuse allowed).
 * Throws AADSTS 700016, 7000218, 7000215, 700027, 50012, 50048 or 700024.
 *
 * @example
 * ```ts
 * const { app, method } = await authenticateClient(directory, input)
 * ```
 */
export async function authenticateClient(
  directory: EmulatorDirectory,
  input: ClientAuthInput,
): Promise<AuthenticatedClient> {
  const { form } = input
  const basic = parseBasic(input.authorization)
  const assertion = form.get('client_assertion')
  let clientId = form.get('client_id') ?? basic?.id
  if (clientId === undefined && assertion !== undefined) {
    // Entra accepts a request without client_id when the assertion names the client.
    try {
      const iss = decodeJwt(assertion).iss
      if (typeof iss === 'string') clientId = iss
    } catch {
      // reported below as an invalid assertion
    }
  }
  if (clientId === undefined || clientId === '') throw errors.missingParameter('client_id')
  if (basic !== undefined && form.get('client_id') !== undefined && basic.id !== form.get('client_id')) {
    throw errors.invalidAssertionClaims('The client_id in the Authorization header and in the request body differ.')
  }
  const app = directory.findApp(clientId)
  if (app === undefined || (!app.multiTenant && app.tenantId !== input.tenant.id)) {
    throw errors.appNotFound(clientId, input.tenantSegment)
  }

  const secret = form.get('client_secret') ?? basic?.secret
  if (secret !== undefined && assertion !== undefined) {
    throw errors.missingField('client_assertion or client_secret (only one client credential may be presented)')
  }
  if (secret !== undefined) {
    if (!app.secrets.some((s) => safeEqual(s, secret))) throw errors.invalidSecret(app.clientId, basic !== undefined)
    return {
      app,
      method:
        basic !== undefined && form.get('client_secret') === undefined ? 'client_secret_basic' : 'client_secret_post',
    }
  }
  if (assertion !== undefined) {
    if (form.get('client_assertion_type') !== ASSERTION_TYPE) throw errors.missingParameter('client_assertion_type')
    await verifyClientAssertion(app, assertion, input)
    return { app, method: 'private_key_jwt' }
  }
  throw errors.credentialMissing(basic !== undefined)
}

async function verifyClientAssertion(app: EmulatorApp, assertion: string, input: ClientAuthInput): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>
  let claims: ReturnType<typeof decodeJwt>
  try {
    header = decodeProtectedHeader(assertion)
    claims = decodeJwt(assertion)
  } catch {
    throw errors.invalidAssertionSignature('The client assertion is not a well-formed JWT.')
  }
  // Entra tells a federated credential from a certificate assertion by its issuer: not the client itself.
  // An assertion with no issuer at all cannot name a federated credential: it is judged as a certificate's.
  if (typeof claims.iss === 'string' && claims.iss !== app.clientId && input.verifyFederated !== undefined) {
    await input.verifyFederated(app, assertion, claims, input.nowSeconds)
    return
  }
  if (header.alg !== 'RS256' && header.alg !== 'PS256') {
    throw errors.invalidAssertionSignature(
      `The signing algorithm '${String(header.alg)}' is not supported; use PS256 or RS256.`,
    )
  }
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined
  if (x5tS256 === undefined && x5t === undefined) {
    throw errors.invalidAssertionSignature("The client assertion header has no 'x5t#S256' or 'x5t' thumbprint.")
  }
  const certificate =
    x5tS256 !== undefined
      ? app.certificates.find((c) => c.x5tS256 === x5tS256)
      : app.certificates.find((c) => c.x5t === x5t)
  if (certificate === undefined) {
    throw errors.invalidAssertionSignature(
      `No matching key found for thumbprint '${x5tS256 ?? x5t ?? ''}'. The key was not found among the certificates registered for app '${app.clientId}'.`,
    )
  }
  try {
    await compactVerify(assertion, certificate.publicKey, { algorithms: [header.alg] })
  } catch {
    throw errors.invalidAssertionSignature(
      `Thumbprint of key used by client: '${certificate.thumbprintSha1Hex}'. The signature does not verify.`,
    )
  }
  if (claims.iss !== app.clientId) {
    throw errors.invalidAssertionClaims('Client assertion issuer does not match the client_id.')
  }
  if (claims.sub !== claims.iss) throw errors.subjectMismatch()
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.some((aud) => typeof aud === 'string' && input.acceptedAudiences.includes(aud.replace(/\/+$/, '')))) {
    throw errors.invalidAssertionClaims(
      `Client assertion audience claim does not match Realm issuer. Expected '${input.acceptedAudiences[0] ?? ''}'.`,
    )
  }
  const now = input.nowSeconds
  if (typeof claims.exp !== 'number') throw errors.assertionTimeRange("The assertion has no 'exp' claim.")
  if (claims.exp + CLOCK_SKEW_SECONDS < now) {
    throw errors.assertionTimeRange(
      `Current time: ${new Date(now * 1000).toISOString()}, assertion valid until ${new Date(claims.exp * 1000).toISOString()}.`,
    )
  }
  if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW_SECONDS > now) {
    throw errors.assertionTimeRange(
      `Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${new Date(claims.nbf * 1000).toISOString()}.`,
    )
  }
  const start = typeof claims.nbf === 'number' ? claims.nbf : typeof claims.iat === 'number' ? claims.iat : now
  if (claims.exp - start > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw errors.assertionTimeRange('The assertion lifetime exceeds 10 minutes.')
  }
}
