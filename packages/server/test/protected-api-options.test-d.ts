/**
 * Type tests (Vitest typecheck mode): `createProtectedApi` takes at most one client credential, never one whose
 * type allows `undefined` (which would silently make a validation-only API). Rejected shapes are
 * `@ts-expect-error` lines; accepted ones must compile. Checked with `exactOptionalPropertyTypes` on (project
 * `server`) and off (project `types-loose`).
 */
import { describe, expectTypeOf, it } from 'vitest'
import { createProtectedApi, type ProtectedApi, type ProtectedApiOptions } from '../src/index.ts'

declare const tenantId: string
declare const clientId: string
declare const secret: string
declare const maybeSecret: string | undefined
declare const pem: string
declare const path: string
declare const maybePath: string | undefined
declare const getAssertion: () => Promise<string>

describe('createProtectedApi(options)', () => {
  it('accepts no client credential (validation only) and exactly one of each kind', () => {
    expectTypeOf(createProtectedApi({ tenantId, clientId })).toEqualTypeOf<ProtectedApi>()
    createProtectedApi({ tenantId, clientId, clientSecret: secret })
    createProtectedApi({ tenantId, clientId, clientCertificate: pem, password: 'pw', sendCertificateChain: true })
    createProtectedApi({ tenantId, clientId, clientCertificatePath: path })
    createProtectedApi({ tenantId, clientId, getClientAssertion: getAssertion })
    createProtectedApi({ tenantId, clientId, clientSecret: secret, clientCertificatePath: undefined })
    const validateOnly: ProtectedApiOptions = { tenantId, clientId, clientSecret: undefined }
    createProtectedApi(validateOnly)
  })

  it('rejects two client credentials', () => {
    // @ts-expect-error -- secret and certificate file
    createProtectedApi({ tenantId, clientId, clientSecret: secret, clientCertificatePath: path })
    // @ts-expect-error -- certificate and assertion callback
    createProtectedApi({ tenantId, clientId, clientCertificate: pem, getClientAssertion: getAssertion })
    expectTypeOf<{
      tenantId: string
      clientId: string
      clientSecret: string
      getClientAssertion: () => string
    }>().not.toExtend<ProtectedApiOptions>()
  })

  it('rejects a client credential whose type allows undefined (an unchecked environment variable)', () => {
    // @ts-expect-error -- string | undefined secret
    createProtectedApi({ tenantId, clientId, clientSecret: maybeSecret })
    // @ts-expect-error -- string | undefined certificate path
    createProtectedApi({ tenantId, clientId, clientCertificatePath: maybePath })
    expectTypeOf<{
      tenantId: string
      clientId: string
      clientSecret: string | undefined
    }>().not.toExtend<ProtectedApiOptions>()
  })
})
