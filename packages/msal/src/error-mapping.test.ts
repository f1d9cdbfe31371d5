import { describe, expect, it } from 'vitest'
import { ClientAuthError, ClientConfigurationError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node'
import { OAuthError, OboError } from '@onbehalf/core'
import { createCallContext } from './call-context.ts'
import { toOboError } from './error-mapping.ts'

describe('toOboError', () => {
  it('prefers the failure the network client recorded', () => {
    const context = createCallContext()
    context.failure = new OboError('down', { code: 'NETWORK_ERROR' })
    expect(toOboError(new ClientAuthError('network_error', 'corr'), context, 'secret')).toBe(context.failure)
  })

  it('passes engine errors through unchanged', () => {
    const error = new OboError('callback failed', { code: 'CLIENT_ASSERTION_FAILED' })
    expect(toOboError(error, createCallContext(), 'assertion')).toBe(error)
  })

  it('falls back to MSAL’s parsed server error fields', () => {
    const interaction = new InteractionRequiredAuthError(
      'interaction_required',
      'corr-1',
      'AADSTS50076: MFA required',
      'basic_action',
      '2026-01-01 00:00:00Z',
      'trace-1',
      '{"access_token":{"capolids":{"essential":true,"values":["p"]}}}',
      '50076',
    )
    const mapped = toOboError(interaction, createCallContext(), 'secret')
    expect(mapped).toBeInstanceOf(OAuthError)
    expect(mapped).toMatchObject({
      code: 'INTERACTION_REQUIRED',
      errorCodes: [50076],
      traceId: 'trace-1',
      correlationId: 'corr-1',
      suberror: 'basic_action',
      claims: '{"access_token":{"capolids":{"essential":true,"values":["p"]}}}',
    })
    const server = toOboError(
      new ServerError('invalid_grant', 'corr-2', 'AADSTS500133: expired', undefined, '500133', 400),
      createCallContext(),
      'secret',
    )
    expect(server).toMatchObject({ code: 'INVALID_GRANT', status: 400, errorCodes: [500133] })
  })

  it('maps MSAL client errors by kind', () => {
    expect(
      toOboError(new ClientConfigurationError('untrusted_authority', 'corr'), createCallContext(), 'secret').code,
    ).toBe('INVALID_AUTHORITY')
    expect(toOboError(new ClientAuthError('network_error', 'corr'), createCallContext(), 'secret').code).toBe(
      'NETWORK_ERROR',
    )
    expect(
      toOboError(new Error('secretOrPrivateKey must be an asymmetric key'), createCallContext(), 'certificate').code,
    ).toBe('INVALID_CERTIFICATE')
  })
})
