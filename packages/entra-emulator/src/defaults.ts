import type { EmulatorDirectory, EmulatorUser, RegisteredApp } from './directory.ts'

/**
 * The default middle-tier app: a confidential client with a secret and a certificate, exposing `access_as_user`.
 * @example
 * ```ts
 * const { clientId, clientSecret } = emu.defaults.middleTier
 * ```
 */
export interface DefaultMiddleTier {
  readonly clientId: string
  readonly clientSecret: string
  /** PEM of the app's certificate credential. */
  readonly certificatePem: string
  /** PKCS#8 PEM private key of that certificate. */
  readonly privateKeyPem: string
  /** Key and certificate as PKCS#12 (PFX) bytes, protected by {@link DefaultMiddleTier.pkcs12Password}. */
  readonly pkcs12: Uint8Array
  readonly pkcs12Password: string
  /** Upper-case hex thumbprints (MSAL's `thumbprintSha256` / `thumbprint`). */
  readonly thumbprintSha256Hex: string
  readonly thumbprintSha1Hex: string
  readonly appIdUri: string
  /** Fully qualified exposed scopes, e.g. `api://<id>/access_as_user`. */
  readonly scopes: readonly string[]
  readonly app: RegisteredApp
}

/**
 * The default downstream API: exposes `Documents.Read`, `Documents.ReadWrite` and app role `Documents.Read.All`.
 * @example
 * ```ts
 * const scope = emu.defaults.downstream.scopes[0] // 'api://<id>/Documents.Read'
 * ```
 */
export interface DefaultDownstream {
  readonly clientId: string
  readonly appIdUri: string
  /** Fully qualified scopes, e.g. `api://<id>/Documents.Read`. */
  readonly scopes: readonly string[]
  /** `${appIdUri}/.default`. */
  readonly defaultScope: string
  readonly app: RegisteredApp
}

/**
 * Users for the scenarios.
 * @example
 * ```ts
 * emu.issueUserToken({ user: emu.defaults.users.mfa, mfa: true })
 * ```
 */
export interface DefaultUsers {
  /** Nothing special: OBO succeeds. */
  readonly plain: EmulatorUser
  /** Conditional Access requires MFA: OBO answers 50076 + claims until the assertion carries `amr: ['mfa']`. */
  readonly mfa: EmulatorUser
  /** Has not consented to the middle tier: OBO answers 65001 `consent_required`. */
  readonly consentMissing: EmulatorUser
  /** Account disabled: OBO answers 50057. */
  readonly disabled: EmulatorUser
}

/**
 * Everything the emulator registers at start, so tests and the demo need no set-up.
 * @example
 * ```ts
 * const { middleTier, downstream, users } = emu.defaults
 * ```
 */
export interface EmulatorDefaults {
  readonly middleTier: DefaultMiddleTier
  readonly downstream: DefaultDownstream
  /** A public client (SPA) that plays the front end: the `azp` of minted user tokens. */
  readonly frontEnd: { readonly clientId: string; readonly redirectUri: string; readonly app: RegisteredApp }
  /** A daemon (confidential client, secret) granted `Documents.Read.All` on the downstream API. */
  readonly daemon: { readonly clientId: string; readonly clientSecret: string; readonly app: RegisteredApp }
  /** Microsoft Graph as a resource (`https://graph.microsoft.com`, `User.Read`, `Mail.Read`). */
  readonly graph: {
    readonly clientId: string
    readonly appIdUri: string
    readonly scopes: readonly string[]
    readonly app: RegisteredApp
  }
  readonly users: DefaultUsers
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`default ${what} was not created`)
  return value
}

/**
 * Registers the default apps and users in a directory.
 *
 * @example
 * ```ts
 * const defaults = registerDefaults(createDirectory({}))
 * defaults.middleTier.clientSecret
 * ```
 */
export function registerDefaults(directory: EmulatorDirectory): EmulatorDefaults {
  const downstreamApp = directory.registerApp({
    displayName: 'Documents API (emulated downstream)',
    appIdUri: true,
    scopes: ['Documents.Read', 'Documents.ReadWrite'],
    appRoles: ['Documents.Read.All'],
  })
  const middleTierApp = directory.registerApp({
    displayName: 'Middle-tier API (emulated)',
    appIdUri: true,
    scopes: ['access_as_user'],
    clientSecret: true,
    certificate: true,
  })
  const frontEndApp = directory.registerApp({
    displayName: 'Front end SPA (emulated)',
    redirectUris: ['http://localhost:5173'],
  })
  const daemonApp = directory.registerApp({
    displayName: 'Daemon (emulated)',
    clientSecret: true,
    grantedAppRoles: ['Documents.Read.All'],
  })
  const graphApp = directory.registerApp({
    clientId: '00000003-0000-0000-c000-000000000000',
    displayName: 'Microsoft Graph',
    appIdUri: 'https://graph.microsoft.com',
    identifierUris: ['https://graph.microsoft.com/'],
    scopes: ['User.Read', 'Mail.Read'],
    multiTenant: true,
  })
  const domain = directory.defaultTenant.domain
  const users: DefaultUsers = {
    plain: directory.addUser({ upn: `adele.vance@${domain}`, name: 'Adele Vance' }),
    mfa: directory.addUser({ upn: `megan.bowen@${domain}`, name: 'Megan Bowen (MFA required)', mfaRequired: true }),
    consentMissing: directory.addUser({
      upn: `diego.siciliani@${domain}`,
      name: 'Diego Siciliani (consent missing)',
      consentMissing: true,
    }),
    disabled: directory.addUser({ upn: `lee.gu@${domain}`, name: 'Lee Gu (disabled)', disabled: true }),
  }
  const certificate = required(middleTierApp.certificate, 'middle-tier certificate')
  const appIdUri = required(middleTierApp.appIdUri, 'middle-tier App ID URI')
  const middleTier: DefaultMiddleTier = {
    clientId: middleTierApp.clientId,
    clientSecret: required(middleTierApp.clientSecret, 'middle-tier secret'),
    certificatePem: certificate.certificatePem,
    privateKeyPem: required(certificate.privateKeyPem, 'middle-tier private key'),
    get pkcs12() {
      return required(certificate.pkcs12, 'middle-tier PKCS#12')
    },
    pkcs12Password: required(certificate.pkcs12Password, 'middle-tier PKCS#12 password'),
    thumbprintSha256Hex: certificate.thumbprintSha256Hex,
    thumbprintSha1Hex: certificate.thumbprintSha1Hex,
    appIdUri,
    scopes: middleTierApp.fullScopes,
    app: middleTierApp,
  }
  const downstreamUri = required(downstreamApp.appIdUri, 'downstream App ID URI')
  return {
    middleTier,
    downstream: {
      clientId: downstreamApp.clientId,
      appIdUri: downstreamUri,
      scopes: downstreamApp.fullScopes,
      defaultScope: `${downstreamUri}/.default`,
      app: downstreamApp,
    },
    frontEnd: { clientId: frontEndApp.clientId, redirectUri: 'http://localhost:5173', app: frontEndApp },
    daemon: {
      clientId: daemonApp.clientId,
      clientSecret: required(daemonApp.clientSecret, 'daemon secret'),
      app: daemonApp,
    },
    graph: {
      clientId: graphApp.clientId,
      appIdUri: 'https://graph.microsoft.com',
      scopes: graphApp.fullScopes,
      app: graphApp,
    },
    users,
  }
}
