import { describeCertificate, rsaKeyPair, selfSignedCertificate, toPkcs12 } from './key-store.ts'
import type { CertificateInfo } from './key-store.ts'
import { clientSecretValue, guid } from './ids.ts'

/**
 * A tenant (directory) the emulator serves.
 * @example
 * ```ts
 * const tenant = emu.addTenant({ domain: 'fabrikam.onmicrosoft.com' })
 * ```
 */
export interface EmulatorTenant {
  /** Tenant ID (GUID), the `tid` claim. */
  readonly id: string
  /** A verified domain that also names the tenant in URLs, e.g. `contoso.onmicrosoft.com`. */
  readonly domain: string
  readonly displayName: string
}

/**
 * A certificate credential of an app registration; the private key is known when the emulator made it.
 * @example
 * ```ts
 * const cert = emu.registerApp({ certificate: true }).certificate // { x5tS256, privateKeyPem, pkcs12, ... }
 * ```
 */
export interface AppCertificate extends CertificateInfo {
  /** PKCS#8 PEM private key, when the emulator generated the certificate. */
  readonly privateKeyPem?: string
  /** Password of {@link AppCertificate.pkcs12}. */
  readonly pkcs12Password?: string
  /** Key and certificate as a password-protected PKCS#12 (PFX) file; built on first read. */
  readonly pkcs12?: Uint8Array
}

/**
 * An app registration (plus its service principal in its tenant).
 * @example
 * ```ts
 * const app = emu.directory.findApp(clientId)
 * ```
 */
export interface EmulatorApp {
  readonly clientId: string
  readonly displayName: string
  /** Home tenant of the registration. */
  readonly tenantId: string
  /** `true` when any tenant of the emulator may use the app (a multi-tenant app consented everywhere). */
  readonly multiTenant: boolean
  /** Object ID of the app's service principal (the `oid` of its app-only tokens). */
  readonly servicePrincipalId: string
  /** First App ID URI, e.g. `api://<clientId>`, when the app exposes an API. */
  readonly appIdUri: string | undefined
  readonly identifierUris: readonly string[]
  /** Delegated permission names the app exposes, e.g. `Documents.Read`. */
  readonly scopes: readonly string[]
  /** App role values the app exposes, e.g. `Documents.Read.All`. */
  readonly appRoles: readonly string[]
  /** App role values (of any resource) this app was granted as application permissions. */
  readonly grantedAppRoles: readonly string[]
  /** Client secret values. */
  readonly secrets: string[]
  /** Certificate credentials. */
  readonly certificates: AppCertificate[]
  readonly redirectUris: readonly string[]
  /** When set, delegated tokens for this resource need MFA (Conditional Access on the resource). */
  readonly requiresMfa: boolean
  /** Per-resource access-token lifetime, overriding the emulator's. */
  readonly accessTokenLifetimeSeconds: number | undefined
}

/**
 * What {@link EmulatorDirectory.registerApp} returns: the app plus its first credentials, ready to use.
 * @example
 * ```ts
 * const api = emu.registerApp({ appIdUri: true, scopes: ['Read'] })
 * api.fullScopes // ['api://<id>/Read']
 * ```
 */
export interface RegisteredApp extends EmulatorApp {
  /** The first client secret, if any. */
  readonly clientSecret: string | undefined
  /** The first certificate credential, if any. */
  readonly certificate: AppCertificate | undefined
  /** Fully qualified delegated scopes, e.g. `api://<id>/Documents.Read`. */
  readonly fullScopes: readonly string[]
}

/**
 * Options of {@link EmulatorDirectory.registerApp}.
 * @example
 * ```ts
 * emu.registerApp({ displayName: 'Orders API', appIdUri: true, scopes: ['Orders.Read'], clientSecret: true })
 * ```
 */
export interface RegisterAppOptions {
  readonly clientId?: string
  readonly displayName?: string
  /** Home tenant; default: the emulator's default tenant. */
  readonly tenantId?: string
  readonly multiTenant?: boolean
  /** A secret value, or `true` to generate one. */
  readonly clientSecret?: string | true
  /** A certificate: `true` generates a key and a self-signed certificate; or bring a PEM (key optional). */
  readonly certificate?: true | { readonly certificatePem: string; readonly privateKeyPem?: string }
  /** App ID URI(s); `true` means `api://<clientId>`. */
  readonly appIdUri?: string | true
  readonly identifierUris?: readonly string[]
  readonly scopes?: readonly string[]
  readonly appRoles?: readonly string[]
  readonly grantedAppRoles?: readonly string[]
  readonly redirectUris?: readonly string[]
  readonly requiresMfa?: boolean
  readonly accessTokenLifetimeSeconds?: number
}

/**
 * A test user and the scenario it plays.
 * @example
 * ```ts
 * const user = emu.addUser({ upn: 'alex@contoso.onmicrosoft.com', mfaRequired: true })
 * ```
 */
export interface EmulatorUser {
  /** Object ID (GUID), the `oid` claim. */
  readonly oid: string
  /** User principal name, the `preferred_username` claim. */
  readonly upn: string
  readonly name: string
  readonly tenantId: string
  /** OBO for this user answers AADSTS50076 until the assertion carries `amr` with `mfa`. */
  readonly mfaRequired: boolean
  /**
   * OBO for this user answers AADSTS65001 (`consent_required`): `true` for every resource, or a list of
   * resources (client IDs or App ID URIs) the user has not consented to.
   */
  readonly consentMissing: boolean | readonly string[]
  /** OBO answers AADSTS50057 (user disabled). */
  readonly disabled: boolean
  /** App roles assigned to the user (emitted as `roles` in delegated tokens). */
  readonly roles: readonly string[]
}

/**
 * Options of {@link EmulatorDirectory.addUser}.
 * @example
 * ```ts
 * emu.addUser({ name: 'Alex', consentMissing: [emu.defaults.graph.appIdUri] })
 * ```
 */
export interface AddUserOptions {
  readonly oid?: string
  readonly upn?: string
  readonly name?: string
  readonly tenantId?: string
  readonly mfaRequired?: boolean
  readonly consentMissing?: boolean | readonly string[]
  readonly disabled?: boolean
  readonly roles?: readonly string[]
}

/**
 * The registry of tenants, apps and users.
 * @example
 * ```ts
 * emu.directory.findUser('adele.vance@contoso.onmicrosoft.com')
 * ```
 */
export interface EmulatorDirectory {
  readonly defaultTenant: EmulatorTenant
  /** Finds a tenant by GUID or domain (case-insensitive). */
  findTenant(idOrDomain: string): EmulatorTenant | undefined
  addTenant(options?: { id?: string; domain?: string; displayName?: string }): EmulatorTenant
  registerApp(options?: RegisterAppOptions): RegisteredApp
  /** Finds an app by client ID. */
  findApp(clientId: string): EmulatorApp | undefined
  /** Finds the app a resource identifier names: a client ID, an App ID URI, or `api://<clientId>`. */
  findResource(identifier: string): EmulatorApp | undefined
  addUser(options?: AddUserOptions): EmulatorUser
  /** Finds a user by oid or UPN (case-insensitive). */
  findUser(oidOrUpn: string): EmulatorUser | undefined
  readonly tenants: readonly EmulatorTenant[]
  readonly apps: readonly EmulatorApp[]
  readonly users: readonly EmulatorUser[]
}

/**
 * Creates an empty directory with one default tenant.
 *
 * @example
 * ```ts
 * const dir = createDirectory({ seed: 'demo' })
 * const api = dir.registerApp({ displayName: 'API', appIdUri: true, scopes: ['Read'] })
 * ```
 */
export function createDirectory(options: {
  seed?: string
  tenantId?: string
  tenantDomain?: string
}): EmulatorDirectory {
  const { seed } = options
  const tenants: EmulatorTenant[] = []
  const apps: EmulatorApp[] = []
  const users: EmulatorUser[] = []
  const usersByKey = new Map<string, EmulatorUser>()
  let counter = 0
  const nextLabel = (kind: string): string => `${kind}-${++counter}`

  const addTenant = (o: { id?: string; domain?: string; displayName?: string } = {}): EmulatorTenant => {
    const id = (o.id ?? guid(seed, nextLabel('tenant'))).toLowerCase()
    if (tenants.some((t) => t.id === id)) throw new TypeError(`tenantId '${id}' is already registered`)
    const tenant: EmulatorTenant = {
      id,
      domain:
        o.domain ?? (tenants.length === 0 ? 'contoso.onmicrosoft.com' : `tenant${tenants.length + 1}.onmicrosoft.com`),
      displayName:
        o.displayName ?? (tenants.length === 0 ? 'Contoso (emulated)' : `Tenant ${tenants.length + 1} (emulated)`),
    }
    tenants.push(tenant)
    return tenant
  }

  const defaultTenant = addTenant({
    ...(options.tenantId !== undefined ? { id: options.tenantId } : {}),
    ...(options.tenantDomain !== undefined ? { domain: options.tenantDomain } : {}),
  })

  const findTenant = (idOrDomain: string): EmulatorTenant | undefined => {
    const key = idOrDomain.toLowerCase()
    return tenants.find((t) => t.id === key || t.domain.toLowerCase() === key)
  }

  const registerApp = (o: RegisterAppOptions = {}): RegisteredApp => {
    const label = nextLabel('app')
    const clientId = (o.clientId ?? guid(seed, label)).toLowerCase()
    if (apps.some((a) => a.clientId === clientId)) throw new TypeError(`clientId '${clientId}' is already registered`)
    const tenantId = o.tenantId ?? defaultTenant.id
    if (findTenant(tenantId) === undefined) {
      throw new TypeError(`tenantId '${tenantId}' is not a tenant of this emulator`)
    }
    const displayName = o.displayName ?? `App ${clientId.slice(0, 8)}`
    const identifierUris = [
      ...(o.appIdUri === true ? [`api://${clientId}`] : o.appIdUri !== undefined ? [o.appIdUri] : []),
      ...(o.identifierUris ?? []),
    ]
    const secrets: string[] = []
    if (o.clientSecret === true) secrets.push(clientSecretValue(seed, label))
    else if (o.clientSecret !== undefined) secrets.push(o.clientSecret)
    const certificates: AppCertificate[] = []
    if (o.certificate === true) {
      certificates.push(generatedCertificate(displayName, `${seed ?? ''}:${displayName}`))
    } else if (o.certificate !== undefined) {
      certificates.push({
        ...describeCertificate(o.certificate.certificatePem),
        ...(o.certificate.privateKeyPem !== undefined ? { privateKeyPem: o.certificate.privateKeyPem } : {}),
      })
    }
    const app: EmulatorApp = {
      clientId,
      displayName,
      tenantId,
      multiTenant: o.multiTenant ?? false,
      servicePrincipalId: guid(seed, `${label}-sp`),
      appIdUri: identifierUris[0],
      identifierUris,
      scopes: o.scopes ?? [],
      appRoles: o.appRoles ?? [],
      grantedAppRoles: o.grantedAppRoles ?? [],
      secrets,
      certificates,
      redirectUris: o.redirectUris ?? [],
      requiresMfa: o.requiresMfa ?? false,
      accessTokenLifetimeSeconds: o.accessTokenLifetimeSeconds,
    }
    apps.push(app)
    return toRegistered(app)
  }

  const findApp = (clientId: string): EmulatorApp | undefined => {
    const key = clientId.toLowerCase()
    return apps.find((a) => a.clientId === key)
  }

  const findResource = (identifier: string): EmulatorApp | undefined => {
    const key = identifier.replace(/\/+$/, '')
    return (
      findApp(key) ??
      apps.find((a) => a.identifierUris.some((uri) => uri.replace(/\/+$/, '').toLowerCase() === key.toLowerCase())) ??
      (key.toLowerCase().startsWith('api://') ? findApp(key.slice('api://'.length)) : undefined)
    )
  }

  const addUser = (o: AddUserOptions = {}): EmulatorUser => {
    const label = nextLabel('user')
    const tenantId = o.tenantId ?? defaultTenant.id
    const tenant = findTenant(tenantId)
    if (tenant === undefined) throw new TypeError(`tenantId '${tenantId}' is not a tenant of this emulator`)
    const oid = (o.oid ?? guid(seed, label)).toLowerCase()
    const user: EmulatorUser = {
      oid,
      upn: o.upn ?? `${label}@${tenant.domain}`,
      name: o.name ?? `Test user ${users.length + 1}`,
      tenantId: tenant.id,
      mfaRequired: o.mfaRequired ?? false,
      consentMissing: o.consentMissing ?? false,
      disabled: o.disabled ?? false,
      roles: o.roles ?? [],
    }
    if (usersByKey.has(oid) || usersByKey.has(user.upn.toLowerCase())) {
      throw new TypeError(`a user with oid '${oid}' or upn '${user.upn}' already exists`)
    }
    users.push(user)
    usersByKey.set(oid, user)
    usersByKey.set(user.upn.toLowerCase(), user)
    return user
  }

  // Benchmarks add tens of thousands of users: look them up by key, not by scanning.
  const findUser = (oidOrUpn: string): EmulatorUser | undefined => usersByKey.get(oidOrUpn.toLowerCase())

  return {
    defaultTenant,
    findTenant,
    addTenant,
    registerApp,
    findApp,
    findResource,
    addUser,
    findUser,
    tenants,
    apps,
    users,
  }
}

function toRegistered(app: EmulatorApp): RegisteredApp {
  return {
    ...app,
    clientSecret: app.secrets[0],
    certificate: app.certificates[0],
    fullScopes: app.appIdUri === undefined ? [] : app.scopes.map((s) => `${app.appIdUri}/${s}`),
  }
}

/**
 * Makes a certificate credential with a private key. The key pair is shared per process and `cacheKey`
 * (RSA generation dominates start time); each call still makes a new certificate, so thumbprints differ.
 * The PKCS#12 file is built lazily because its 3DES encryption runs in pure JS.
 */
function generatedCertificate(commonName: string, cacheKey: string): AppCertificate {
  const keys = rsaKeyPair(`app-cert:${cacheKey}`)
  const certificatePem = selfSignedCertificate({ commonName, privateKeyPem: keys.privateKeyPem })
  const info = describeCertificate(certificatePem)
  const pkcs12Password = clientSecretValue(undefined, 'pfx').slice(0, 16)
  let pkcs12: Uint8Array | undefined
  const cert = { ...info, privateKeyPem: keys.privateKeyPem, pkcs12Password }
  Object.defineProperty(cert, 'pkcs12', {
    enumerable: true,
    get(): Uint8Array {
      pkcs12 ??= toPkcs12({
        certificatePem,
        privateKeyPem: keys.privateKeyPem,
        password: pkcs12Password,
        friendlyName: commonName,
      })
      return pkcs12
    },
  })
  return cert
}
