import { afterEach, describe, expect, it, vi } from 'vitest'
import { normalizeArguments } from './options.ts'

const tenantId = 'c878a2ab-8ef4-413b-83a0-199afb84d7fb'
const clientId = '2a1e7c0d-0000-4000-8000-000000000001'
const userAssertion = 'header.payload.signature'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('normalizeArguments', () => {
  it('maps both constructor shapes to the same settings', () => {
    const getAssertion = (): string => 'jwt'
    const seed = normalizeArguments([
      tenantId,
      clientId,
      {
        userAssertion,
        getClientAssertion: getAssertion,
        authority: 'login.microsoftonline.us',
        additionallyAllowedTenants: ['a'],
      },
    ])
    const identity = normalizeArguments([
      {
        tenantId,
        clientId,
        userAssertionToken: userAssertion,
        getAssertion,
        authorityHost: 'https://login.microsoftonline.us/',
        additionallyAllowedTenants: ['a'],
      },
    ])
    const { names: seedNames, ...seedRest } = seed
    const { names: identityNames, ...identityRest } = identity
    expect(identityRest).toEqual(seedRest)
    expect(seed.source).toEqual({ kind: 'assertion', getAssertion })
    expect(seed.authorityHost).toBe('https://login.microsoftonline.us')
    expect(seedNames.userAssertion).toBe('userAssertion')
    expect(identityNames.userAssertion).toBe('userAssertionToken')
    expect(identityNames.clientCertificatePath).toBe('certificatePath')
  })

  it('maps certificatePath to a certificate file source and keeps password and chain', () => {
    const settings = normalizeArguments([
      {
        tenantId,
        clientId,
        userAssertionToken: userAssertion,
        certificatePath: '/x.pem',
        password: 'pw',
        sendCertificateChain: true,
      },
    ])
    expect(settings.source).toEqual({
      kind: 'certificate-file',
      path: '/x.pem',
      password: 'pw',
      sendCertificateChain: true,
    })
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('rejects a %s user assertion with a TypeError naming it in either shape', (_label, value) => {
    expect(() => normalizeArguments([tenantId, clientId, { userAssertion: value, clientSecret: 's' }])).toThrow(
      new TypeError(
        'OnBehalfOfCredential: "userAssertion" must not be empty: pass the access token your API received.',
      ),
    )
    expect(() => normalizeArguments([{ tenantId, clientId, userAssertionToken: value, clientSecret: 's' }])).toThrow(
      /"userAssertionToken" must not be empty/,
    )
  })

  it('rejects a user assertion that is not a string', () => {
    expect(() => normalizeArguments([tenantId, clientId, { userAssertion: 42, clientSecret: 's' }])).toThrow(TypeError)
  })

  it('requires a client credential and names every option', () => {
    const run = (): unknown => normalizeArguments([tenantId, clientId, { userAssertion }])
    expect(run).toThrow(TypeError)
    expect(run).toThrow(
      'either "clientSecret", "clientCertificate", "clientCertificatePath" or "getClientAssertion" must be provided',
    )
    expect(() => normalizeArguments([{ tenantId, clientId, userAssertionToken: userAssertion }])).toThrow(
      'either "clientSecret", "clientCertificate", "certificatePath" or "getAssertion" must be provided',
    )
  })

  it('treats empty credential values as not given, as the seed does', () => {
    expect(() =>
      normalizeArguments([
        tenantId,
        clientId,
        { userAssertion, clientSecret: '', clientCertificate: new Uint8Array() },
      ]),
    ).toThrow(/must be provided/)
  })

  it.each([
    [{ clientSecret: 's', clientCertificate: 'pem' }, '"clientSecret" and "clientCertificate"'],
    [{ getClientAssertion: () => 'a', clientCertificate: 'pem' }, '"clientCertificate" and "getClientAssertion"'],
    [{ clientSecret: 's', clientCertificatePath: '/p' }, '"clientSecret" and "clientCertificatePath"'],
  ])('rejects more than one client credential: %j', (credentials, got) => {
    const run = (): unknown => normalizeArguments([tenantId, clientId, { userAssertion, ...credentials }])
    expect(run).toThrow(TypeError)
    expect(run).toThrow('it is invalid to specify more than one of the following')
    expect(run).toThrow(got)
  })

  it.each(['c878a2ab-8ef4-413b-83a0-199afb84d7fb', 'contoso.onmicrosoft.com', 'organizations', 'common'])(
    'accepts the tenant ID %s',
    (tenant) => {
      expect(normalizeArguments([tenant, clientId, { userAssertion, clientSecret: 's' }]).tenantId).toBe(tenant)
    },
  )

  it.each(['my tenant', 'my_tenant', '/', '\\', '"my-tenant"', "'my-tenant'", '', undefined])(
    'rejects the tenant ID %j with a TypeError naming tenantId',
    (tenant) => {
      expect(() => normalizeArguments([tenant, clientId, { userAssertion, clientSecret: 's' }])).toThrow(TypeError)
      expect(() => normalizeArguments([tenant, clientId, { userAssertion, clientSecret: 's' }])).toThrow(/tenantId/)
      expect(() =>
        normalizeArguments([{ tenantId: tenant, clientId, userAssertionToken: userAssertion, clientSecret: 's' }]),
      ).toThrow(/tenantId/)
    },
  )

  it.each([undefined, '', '  '])('rejects the client ID %j', (id) => {
    expect(() => normalizeArguments([tenantId, id, { userAssertion, clientSecret: 's' }])).toThrow(/"clientId"/)
  })

  it('normalises the authority and rejects http, naming the option of each shape', () => {
    expect(
      normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's', authority: 'localhost' }])
        .authorityHost,
    ).toBe('https://localhost')
    expect(
      normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's', authority: 'https://localhost/' }])
        .authorityHost,
    ).toBe('https://localhost')
    expect(() =>
      normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's', authority: 'http://localhost' }]),
    ).toThrow(/^authority must use https/)
    expect(() =>
      normalizeArguments([
        { tenantId, clientId, userAssertionToken: userAssertion, clientSecret: 's', authorityHost: 'http://x' },
      ]),
    ).toThrow(/^authorityHost must use https/)
  })

  it('defaults the authority to AZURE_AUTHORITY_HOST, read at construction, else the public cloud', () => {
    expect(normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's' }]).authorityHost).toBe(
      'https://login.microsoftonline.com',
    )
    vi.stubEnv('AZURE_AUTHORITY_HOST', 'localhost')
    expect(normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's' }]).authorityHost).toBe(
      'https://localhost',
    )
    vi.stubEnv('AZURE_AUTHORITY_HOST', 'http://localhost')
    expect(() => normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's' }])).toThrow(
      /AZURE_AUTHORITY_HOST/,
    )
  })

  it('collapses a tenant list holding "*" and validates its type', () => {
    expect(
      normalizeArguments([
        tenantId,
        clientId,
        { userAssertion, clientSecret: 's', additionallyAllowedTenants: ['a', '*'] },
      ]).additionallyAllowedTenants,
    ).toEqual(['*'])
    expect(() =>
      normalizeArguments([tenantId, clientId, { userAssertion, clientSecret: 's', additionallyAllowedTenants: 'a' }]),
    ).toThrow(/"additionallyAllowedTenants"/)
  })

  it('rejects options of the wrong type, naming them', () => {
    const base = { userAssertion, clientSecret: 's' }
    expect(() => normalizeArguments([tenantId, clientId, { ...base, password: 'pw' }])).toThrow(
      /"password" is only used with/,
    )
    expect(() =>
      normalizeArguments([tenantId, clientId, { userAssertion, clientCertificate: 'x', password: 3 }]),
    ).toThrow(/"password" must be/)
    expect(() => normalizeArguments([tenantId, clientId, { ...base, cache: {} }])).toThrow(/"cache"/)
    expect(() => normalizeArguments([tenantId, clientId, { ...base, engine: 'jose' }])).toThrow(/"engine"/)
    expect(() => normalizeArguments([tenantId, clientId, { ...base, fetch: 1 }])).toThrow(/"fetch"/)
    expect(() => normalizeArguments([tenantId, clientId, { ...base, disableInstanceDiscovery: 'yes' }])).toThrow(
      /"disableInstanceDiscovery"/,
    )
    expect(() => normalizeArguments([tenantId, clientId, { userAssertion, getClientAssertion: 'jwt' }])).toThrow(
      /"getClientAssertion" must be a function/,
    )
    expect(() => normalizeArguments([tenantId, clientId, { userAssertion, clientCertificate: 12 }])).toThrow(
      /"clientCertificate"/,
    )
    expect(() => normalizeArguments([tenantId, clientId, 'secret'])).toThrow(/"options" must be an object/)
  })
})
