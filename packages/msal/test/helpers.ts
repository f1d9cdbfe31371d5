/**
 * Test helpers shared by the msal package's integration tests: decoding JWTs, signing a client assertion with
 * node:crypto (as a federated-credential callback would), and engine configurations for the emulator.
 */
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto'
import type { EntraEmulator } from '@onbehalf/entra-emulator'
import type { ClientCredential, EngineConfig } from '@onbehalf/core'

/** Decodes a JWT's header and payload without verifying. */
export function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header = '', payload = ''] = jwt.split('.')
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>,
  }
}

/** A client assertion for the default middle tier, signed RS256 with its certificate key (x5t = SHA-1). */
export function signClientAssertion(
  emu: EntraEmulator,
  options: { lifetimeSeconds?: number; tenant?: string } = {},
): string {
  const tier = emu.defaults.middleTier
  const now = Math.floor(Date.now() / 1000)
  const lifetime = options.lifetimeSeconds ?? 600
  const header = { alg: 'RS256', typ: 'JWT', x5t: Buffer.from(tier.thumbprintSha1Hex, 'hex').toString('base64url') }
  const payload = {
    aud: emu.tokenEndpoint(options.tenant ?? emu.tenantId),
    iss: tier.clientId,
    sub: tier.clientId,
    jti: randomUUID(),
    nbf: lifetime > 0 ? now : now - 1200,
    iat: lifetime > 0 ? now : now - 1200,
    exp: now + lifetime,
  }
  const data = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  const signature = sign('sha256', Buffer.from(data), createPrivateKey(tier.privateKeyPem)).toString('base64url')
  return `${data}.${signature}`
}

/** The engine configuration of the default middle tier with `credential`. */
export function middleTierConfig(
  emu: EntraEmulator,
  credential: ClientCredential,
  extra: Partial<EngineConfig> = {},
): EngineConfig {
  return {
    clientId: emu.defaults.middleTier.clientId,
    credential,
    authorityHost: emu.authorityHost,
    fetch: emu.fetch,
    ...extra,
  }
}

/** The default middle tier's secret credential. */
export function secretCredential(emu: EntraEmulator): ClientCredential {
  return { kind: 'secret', secret: emu.defaults.middleTier.clientSecret }
}

/** base64url SHA-256 of the DER of a PEM certificate: the `x5t#S256` a certificate assertion must carry. */
export function x5tS256(certificatePem: string): string {
  const base64 = certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('base64url')
}

/** Token requests the emulator received (OBO and refresh grants). */
export function tokenRequests(emu: EntraEmulator): EntraEmulator['requests'] {
  return emu.requests.filter((request) => request.endpoint === 'token')
}
