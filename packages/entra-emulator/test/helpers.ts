import { randomUUID } from 'node:crypto'
import { importPKCS8, SignJWT } from 'jose'
import type { EntraEmulator } from '../src/index.ts'

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A form for an OBO request of the default middle tier with its secret. */
export function oboForm(emu: EntraEmulator, overrides: Record<string, string | undefined> = {}): URLSearchParams {
  const base: Record<string, string | undefined> = {
    grant_type: JWT_BEARER,
    requested_token_use: 'on_behalf_of',
    client_id: emu.defaults.middleTier.clientId,
    client_secret: emu.defaults.middleTier.clientSecret,
    assertion: emu.issueUserToken({ user: emu.defaults.users.plain }),
    scope: emu.defaults.downstream.scopes[0],
    ...overrides,
  }
  const form = new URLSearchParams()
  for (const [k, v] of Object.entries(base)) if (v !== undefined) form.set(k, v)
  return form
}

export interface TokenAnswer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

/** POSTs a form to the token endpoint over HTTPS (trusting the emulator CA). */
export async function postToken(
  emu: EntraEmulator,
  form: URLSearchParams | string,
  options: { headers?: Record<string, string>; tenant?: string; query?: string } = {},
): Promise<TokenAnswer> {
  const url = `${emu.tokenEndpoint(options.tenant)}${options.query ?? ''}`
  const res = await emu.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', ...options.headers },
    body: typeof form === 'string' ? form : form.toString(),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

/** Decodes a JWT payload without verifying. */
export function claimsOf(jwt: unknown): Record<string, unknown> {
  if (typeof jwt !== 'string') throw new TypeError('not a JWT')
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

/** Builds a client assertion JWT as MSAL does (PS256 + x5t#S256 by default). */
export async function clientAssertion(
  emu: EntraEmulator,
  options: {
    alg?: 'PS256' | 'RS256'
    privateKeyPem?: string
    header?: Record<string, unknown>
    aud?: string
    iss?: string
    sub?: string
    lifetimeSeconds?: number
    iatOffsetSeconds?: number
    jti?: string
  } = {},
): Promise<string> {
  const mt = emu.defaults.middleTier
  const alg = options.alg ?? 'PS256'
  const cert = mt.app.certificate
  if (cert === undefined) throw new Error('no certificate')
  const header = options.header ?? (alg === 'PS256' ? { 'x5t#S256': cert.x5tS256 } : { x5t: cert.x5t })
  const key = await importPKCS8(options.privateKeyPem ?? mt.privateKeyPem, alg)
  const iat = Math.floor(Date.now() / 1000) + (options.iatOffsetSeconds ?? 0)
  return new SignJWT({ jti: options.jti ?? randomUUID() })
    .setProtectedHeader({ alg, typ: 'JWT', ...header })
    .setIssuer(options.iss ?? mt.clientId)
    .setSubject(options.sub ?? mt.clientId)
    .setAudience(options.aud ?? emu.tokenEndpoint())
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (options.lifetimeSeconds ?? 600))
    .sign(key)
}

/** The OBO form with a client assertion instead of the secret. */
export async function oboFormWithAssertion(
  emu: EntraEmulator,
  assertionOptions: Parameters<typeof clientAssertion>[1] = {},
  overrides: Record<string, string | undefined> = {},
): Promise<URLSearchParams> {
  return oboForm(emu, {
    client_secret: undefined,
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: await clientAssertion(emu, assertionOptions),
    ...overrides,
  })
}

/** Asserts an Entra-shaped error body and returns it. */
export function entraError(answer: TokenAnswer): { error: string; codes: number[]; body: Record<string, unknown> } {
  const codes = answer.body['error_codes']
  return {
    error: String(answer.body['error']),
    codes: Array.isArray(codes) ? (codes as number[]) : [],
    body: answer.body,
  }
}
