/**
 * Type tests (Vitest typecheck mode): the client credential of both constructor shapes and of `createOnBehalfOf`
 * is exactly one credential whose value cannot be `undefined`. Each rejected shape is a `@ts-expect-error` line,
 * so a type that starts accepting it fails here; each accepted shape must compile. Checked twice: under the
 * repository's `exactOptionalPropertyTypes: true` (project `azure`) and under `false`, which most users have
 * (project `types-loose`).
 */
import { describe, expectTypeOf, it } from 'vitest'
import {
  createOnBehalfOf,
  OnBehalfOfCredential,
  type ClientCredentialOptions,
  type IdentityClientCredentialOptions,
  type OnBehalfOf,
  type OnBehalfOfConfig,
  type OnBehalfOfCredentialIdentityOptions,
  type OnBehalfOfCredentialOptions,
} from '../src/index.ts'

declare const tenantId: string
declare const clientId: string
declare const userAssertion: string
declare const secret: string
declare const maybeSecret: string | undefined
declare const pem: string
declare const pfx: Uint8Array
declare const maybePem: string | undefined
declare const path: string
declare const maybePath: string | undefined
declare const getAssertion: () => Promise<string>
declare const maybeGetAssertion: (() => string) | undefined
declare const useCertificate: boolean

describe('new OnBehalfOfCredential(tenantId, clientId, options)', () => {
  it('accepts exactly one client credential of each kind', () => {
    expectTypeOf(
      new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: secret }),
    ).toEqualTypeOf<OnBehalfOfCredential>()
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientCertificate: pem })
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientCertificate: pfx, password: 'pw' })
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion,
      clientCertificatePath: path,
      sendCertificateChain: true,
    })
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, getClientAssertion: getAssertion })
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, getClientAssertion: () => 'jwt' })
  })

  it('accepts the other credentials written as undefined, a checked secret, and a union of shapes', () => {
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion,
      clientSecret: secret,
      clientCertificatePath: undefined,
    })
    if (maybeSecret !== undefined) {
      new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: maybeSecret })
    }
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: maybeSecret ?? '' })
    const options: OnBehalfOfCredentialOptions = useCertificate
      ? { userAssertion, clientCertificatePath: path }
      : { userAssertion, clientSecret: secret }
    new OnBehalfOfCredential(tenantId, clientId, options)
    const credential: ClientCredentialOptions = { getClientAssertion: getAssertion }
    new OnBehalfOfCredential(tenantId, clientId, { ...credential, userAssertion, disableInstanceDiscovery: true })
  })

  it('rejects no client credential', () => {
    // @ts-expect-error -- no client credential
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion })
    // @ts-expect-error -- every credential undefined is still none
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: undefined })
    expectTypeOf<{ userAssertion: string }>().not.toExtend<OnBehalfOfCredentialOptions>()
  })

  it('rejects two client credentials', () => {
    // @ts-expect-error -- secret and certificate file
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: secret, clientCertificatePath: path })
    // @ts-expect-error -- certificate and assertion callback
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion,
      clientCertificate: pem,
      getClientAssertion: getAssertion,
    })
    // @ts-expect-error -- certificate content and certificate file
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientCertificate: pfx, clientCertificatePath: path })
    // @ts-expect-error -- secret and assertion callback
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion,
      clientSecret: secret,
      getClientAssertion: getAssertion,
    })
    expectTypeOf<{
      userAssertion: string
      clientSecret: string
      clientCertificate: string
    }>().not.toExtend<OnBehalfOfCredentialOptions>()
  })

  it('rejects a client credential whose type allows undefined (an unchecked environment variable)', () => {
    // @ts-expect-error -- string | undefined secret
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientSecret: maybeSecret })
    // @ts-expect-error -- string | undefined certificate path
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientCertificatePath: maybePath })
    // @ts-expect-error -- string | undefined certificate
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, clientCertificate: maybePem })
    // @ts-expect-error -- possibly undefined callback
    new OnBehalfOfCredential(tenantId, clientId, { userAssertion, getClientAssertion: maybeGetAssertion })
    // @ts-expect-error -- two possibly undefined credentials
    new OnBehalfOfCredential(tenantId, clientId, {
      userAssertion,
      clientSecret: maybeSecret,
      clientCertificatePath: maybePath,
    })
    expectTypeOf<{
      userAssertion: string
      clientSecret: string | undefined
    }>().not.toExtend<OnBehalfOfCredentialOptions>()
  })

  it('still requires the user assertion', () => {
    // @ts-expect-error -- no userAssertion
    new OnBehalfOfCredential(tenantId, clientId, { clientSecret: secret })
  })
})

describe("new OnBehalfOfCredential(options): @azure/identity's shape", () => {
  it('accepts clientSecret, certificatePath, getAssertion and clientCertificate, each alone', () => {
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion, clientSecret: secret })
    new OnBehalfOfCredential({
      tenantId,
      clientId,
      userAssertionToken: userAssertion,
      certificatePath: path,
      sendCertificateChain: true,
    })
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion, getAssertion })
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion, clientCertificate: pem })
    new OnBehalfOfCredential({
      tenantId,
      clientId,
      userAssertionToken: userAssertion,
      clientSecret: secret,
      authorityHost: 'https://login.microsoftonline.us',
      additionallyAllowedTenants: ['*'],
      disableInstanceDiscovery: true,
    })
    expectTypeOf<{ certificatePath: string }>().toExtend<IdentityClientCredentialOptions>()
  })

  it('rejects none, two, and a possibly undefined credential', () => {
    // @ts-expect-error -- no client credential
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion })
    // @ts-expect-error -- secret and certificate file
    new OnBehalfOfCredential({
      tenantId,
      clientId,
      userAssertionToken: userAssertion,
      clientSecret: secret,
      certificatePath: path,
    })
    // @ts-expect-error -- certificate file and assertion callback
    new OnBehalfOfCredential({
      tenantId,
      clientId,
      userAssertionToken: userAssertion,
      certificatePath: path,
      getAssertion,
    })
    // @ts-expect-error -- string | undefined secret
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion, clientSecret: maybeSecret })
    // @ts-expect-error -- string | undefined certificate path
    new OnBehalfOfCredential({ tenantId, clientId, userAssertionToken: userAssertion, certificatePath: maybePath })
    expectTypeOf<{
      tenantId: string
      clientId: string
      userAssertionToken: string
    }>().not.toExtend<OnBehalfOfCredentialIdentityOptions>()
  })
})

describe('createOnBehalfOf(config)', () => {
  it('accepts exactly one client credential of each kind', () => {
    expectTypeOf(createOnBehalfOf({ tenantId, clientId, clientSecret: secret })).toEqualTypeOf<OnBehalfOf>()
    createOnBehalfOf({ tenantId, clientId, clientCertificate: pfx, password: new Uint8Array() })
    createOnBehalfOf({ tenantId, clientId, clientCertificatePath: path })
    createOnBehalfOf({ tenantId, clientId, getClientAssertion: getAssertion })
  })

  it('rejects none, two, and a possibly undefined credential', () => {
    // @ts-expect-error -- no client credential
    createOnBehalfOf({ tenantId, clientId })
    // @ts-expect-error -- secret and certificate
    createOnBehalfOf({ tenantId, clientId, clientSecret: secret, clientCertificate: pem })
    // @ts-expect-error -- string | undefined secret
    createOnBehalfOf({ tenantId, clientId, clientSecret: maybeSecret })
    // @ts-expect-error -- possibly undefined callback
    createOnBehalfOf({ tenantId, clientId, getClientAssertion: maybeGetAssertion })
    expectTypeOf<{ tenantId: string; clientId: string }>().not.toExtend<OnBehalfOfConfig>()
  })
})
