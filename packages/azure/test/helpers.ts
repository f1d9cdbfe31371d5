/** Shared helpers of the integration tests: JWT decoding and a client assertion signed with node:crypto. */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto'

export function decodeJwtPart(token: string, part: 0 | 1): Record<string, unknown> {
  const segment = token.split('.')[part]
  if (segment === undefined) throw new Error('not a JWT')
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** A client assertion (RS256, `x5t#S256`) for `clientId` at `tokenEndpoint`, as a managed identity or Key Vault would supply. */
export function signClientAssertion(options: {
  readonly clientId: string
  readonly tokenEndpoint: string
  readonly privateKeyPem: string
  readonly certificatePem: string
}): string {
  const der = new X509Certificate(options.certificatePem).raw
  const header = { alg: 'RS256', typ: 'JWT', 'x5t#S256': createHash('sha256').update(der).digest('base64url') }
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    aud: options.tokenEndpoint,
    iss: options.clientId,
    sub: options.clientId,
    jti: randomUUID(),
    nbf: now,
    iat: now,
    exp: now + 300,
  }
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  const signature = sign('RSA-SHA256', Buffer.from(input), createPrivateKey(options.privateKeyPem)).toString(
    'base64url',
  )
  return `${input}.${signature}`
}

/** The key re-exported as encrypted PKCS#8 PEM, followed by the certificate. */
export function encryptedPem(privateKeyPem: string, certificatePem: string, passphrase: string): string {
  const key = createPrivateKey(privateKeyPem).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase,
  })
  return `${String(key)}\n${certificatePem}`
}
