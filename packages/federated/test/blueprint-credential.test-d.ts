/**
 * Type tests (Vitest typecheck mode): an agent identity's `blueprint` is exactly one credential (secret,
 * certificate or assertion callback) whose value cannot be `undefined`. Rejected shapes are `@ts-expect-error`
 * lines; accepted ones must compile. Checked with `exactOptionalPropertyTypes` on (project `federated`) and off
 * (project `types-loose`).
 */
import { describe, expectTypeOf, it } from 'vitest'
import {
  agentIdentityAssertion,
  managedIdentityAssertion,
  type BlueprintCredential,
  type ClientAssertionCallback,
} from '../src/index.ts'

declare const tenantId: string
declare const secret: string
declare const maybeSecret: string | undefined
declare const pfx: Uint8Array
declare const maybePem: string | undefined
const ids = { tenantId, blueprintClientId: 'blueprint', agentId: 'agent' }

describe('agentIdentityAssertion({ blueprint })', () => {
  it('accepts exactly one blueprint credential of each kind', () => {
    expectTypeOf(
      agentIdentityAssertion({ ...ids, blueprint: { clientSecret: secret } }),
    ).toEqualTypeOf<ClientAssertionCallback>()
    agentIdentityAssertion({
      ...ids,
      blueprint: { clientCertificate: pfx, password: 'pw', sendCertificateChain: true },
    })
    agentIdentityAssertion({ ...ids, blueprint: { getClientAssertion: managedIdentityAssertion() } })
    agentIdentityAssertion({ ...ids, blueprint: { clientSecret: secret, getClientAssertion: undefined } })
  })

  it('rejects none, two, and a possibly undefined credential', () => {
    // @ts-expect-error -- no credential
    agentIdentityAssertion({ ...ids, blueprint: {} })
    // @ts-expect-error -- secret and assertion callback
    agentIdentityAssertion({ ...ids, blueprint: { clientSecret: secret, getClientAssertion: () => 'jwt' } })
    // @ts-expect-error -- secret and certificate
    agentIdentityAssertion({ ...ids, blueprint: { clientSecret: secret, clientCertificate: pfx } })
    // @ts-expect-error -- string | undefined secret
    agentIdentityAssertion({ ...ids, blueprint: { clientSecret: maybeSecret } })
    // @ts-expect-error -- string | undefined certificate
    agentIdentityAssertion({ ...ids, blueprint: { clientCertificate: maybePem } })
    expectTypeOf<{ clientSecret: string | undefined }>().not.toExtend<BlueprintCredential>()
  })
})
