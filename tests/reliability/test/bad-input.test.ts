/**
 * Bad input, table-driven: what users pass (assertions, tenants, scopes, authorities, certificates,
 * client-assertion callbacks) and what a broken IdP answers (missing fields, wrong types, extra-long values).
 * Every row must end in a typed error — `TypeError` naming the argument for argument errors, otherwise
 * `AuthenticationError` / `CredentialUnavailableError` / `OboError` with a stable `code` — whose message says
 * what to do and holds none of the canaries.
 */
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AuthenticationError, CredentialUnavailableError, OnBehalfOfCredential } from '@onbehalf/azure'
import { parseClientCertificate } from '@onbehalf/certificate'
import {
  createMemoryTokenCache,
  InvalidResponseError,
  OboError,
  type EngineConfig,
  type OboErrorCode,
} from '@onbehalf/core'
import type { FaultSpec } from '@onbehalf/entra-emulator'
import { createJoseEngine } from '@onbehalf/jose'
import { createMsalEngine } from '@onbehalf/msal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeTestCertificates, type TestCertificates } from '../src/certificates.ts'
import { createFigureTable } from '../src/figures.ts'
import {
  actionable,
  captureAzureLogs,
  engineFactory,
  engineNames,
  startSuiteEmulator,
  type LogCapture,
  type SuiteEmulator,
} from '../src/harness.ts'
import { createLeakScanner } from '../src/leak-scanner.ts'
import { settle, watchUnhandledRejections, type RejectionWatch } from '../src/process-guards.ts'

const secret = 'bad-input-canary-secret_61e2a9c4-0b7d'
const password = 'pfx-canary-password-3c9d81aa'
const wrongPassword = 'wrong-canary-password-77b1e0'
const authorityPassword = 'authority-canary-pw-5566ab'

const figures = createFigureTable('bad-input')
const scanner = createLeakScanner()
scanner.addSecret('client secret', secret)
scanner.addSecret('certificate password', password)
scanner.addSecret('wrong certificate password', wrongPassword)
scanner.addSecret('authority password', authorityPassword)

let suite: SuiteEmulator
let certs: TestCertificates
let logs: LogCapture
let watch: RejectionWatch
let assertion: string

beforeAll(async () => {
  logs = captureAzureLogs(scanner)
  watch = watchUnhandledRejections()
  certs = makeTestCertificates(password)
  // The suite's app also accepts the openssl-made certificate, so the good certificate rows succeed.
  suite = await startSuiteEmulator(secret, { appCertificatePem: certs.certificatePem, scanner })
  assertion = suite.userAssertion()
  scanner.addToken('user assertion', assertion)
})

afterAll(async () => {
  figures.print()
  watch.stop()
  logs.restore()
  certs.cleanup()
  await suite.emu.close()
})

/** What a row must end in. */
type Expected =
  | { readonly type: 'TypeError'; readonly names: RegExp }
  | {
      readonly type: 'AuthenticationError' | 'CredentialUnavailableError' | 'OboError'
      readonly code: OboErrorCode | readonly OboErrorCode[]
    }

function check(row: string, thrown: unknown, expected: Expected): string {
  scanner.recordError(`bad-input:${row}`, thrown)
  expect(thrown, `${row}: nothing was thrown`).toBeInstanceOf(Error)
  const error = thrown as Error
  expect(error.message, `${row}: the message must say what to do`).toMatch(actionable)
  expect(error.message.length, `${row}: message length`).toBeLessThan(1_500)
  if (expected.type === 'TypeError') {
    expect(error, row).toBeInstanceOf(TypeError)
    expect(error.message, `${row}: the message must name the argument`).toMatch(expected.names)
    figures.add({ input: row, error: 'TypeError', code: '', message: error.message.slice(0, 120) })
    return 'TypeError'
  }
  const classes = { AuthenticationError, CredentialUnavailableError, OboError } as const
  expect(error, row).toBeInstanceOf(classes[expected.type])
  expect(error.name, row).toBe(expected.type === 'OboError' ? error.constructor.name : expected.type)
  const codes = typeof expected.code === 'string' ? [expected.code] : expected.code
  expect(codes, `${row}: code ${(error as OboError).code}`).toContain((error as OboError).code)
  figures.add({ input: row, error: error.name, code: (error as OboError).code, message: error.message.slice(0, 120) })
  return (error as OboError).code
}

function thrownBy(work: () => unknown): unknown {
  try {
    work()
  } catch (error) {
    return error
  }
  return undefined
}

async function rejectionOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work()
  } catch (error) {
    return error
  }
  return undefined
}

describe('constructor arguments', () => {
  const base = (): {
    userAssertion: string
    clientSecret: string
    authority: string
    fetch: typeof fetch
    cache: ReturnType<typeof createMemoryTokenCache>
  } => ({
    userAssertion: assertion,
    clientSecret: secret,
    authority: suite.emu.authorityHost,
    fetch: suite.fetch,
    cache: createMemoryTokenCache(),
  })
  type Row = readonly [name: string, build: () => unknown, expected: Expected]
  const rows: readonly Row[] = [
    [
      'user assertion missing',
      () =>
        new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', {
          ...base(),
          userAssertion: undefined as unknown as string,
        }),
      { type: 'TypeError', names: /userAssertion/ },
    ],
    [
      'user assertion empty',
      () => new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', { ...base(), userAssertion: '' }),
      { type: 'TypeError', names: /userAssertion/ },
    ],
    [
      'user assertion empty (identity shape)',
      () => new OnBehalfOfCredential({ tenantId: 't', clientId: 'c', userAssertionToken: '', clientSecret: secret }),
      { type: 'TypeError', names: /userAssertionToken/ },
    ],
    [
      'no client credential',
      // @ts-expect-error -- rejected by the types too; JavaScript callers get the TypeError this row checks.
      () => new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', { userAssertion: assertion }),
      { type: 'TypeError', names: /clientSecret/ },
    ],
    [
      'two client credentials',
      // @ts-expect-error -- as above.
      () => new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', { ...base(), clientCertificate: certs.pem }),
      { type: 'TypeError', names: /clientSecret.*clientCertificate|clientCertificate.*clientSecret/ },
    ],
    ...(
      [
        '../../evil',
        'contoso.com/oauth2/v2.0/token?x=',
        'a b',
        'tenant\n',
        'ten%2Fant',
        '<script>alert(1)</script>',
        '',
        'tenant\u0000',
        'contoso.com#',
        'ténant',
      ] as const
    ).map((tenant): Row => [
      `hostile tenant ${JSON.stringify(tenant)}`,
      () => new OnBehalfOfCredential(tenant, 'client', base()),
      { type: 'TypeError', names: /tenant/i },
    ]),
    ...(
      [
        'http://login.microsoftonline.com',
        'ftp://login.microsoftonline.com',
        'javascript:alert(1)',
        'file:///etc/passwd',
        'ws://127.0.0.1:1',
        `https://admin:${authorityPassword}@login.microsoftonline.com`,
        `https://${authorityPassword}@login.microsoftonline.com`,
        'https://login.microsoftonline.com?x=1',
        'https://login.microsoftonline.com#x',
        'https://',
        'https://exa mple.com',
      ] as const
    ).map((authority): Row => [
      `authority ${authority.replaceAll(authorityPassword, '<canary>')}`,
      () => new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', { ...base(), authority }),
      { type: 'TypeError', names: /authority/ },
    ]),
    [
      'certificate: truncated PEM',
      () => certificateCredential(certs.truncatedPem),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: PKCS#12 with the wrong password',
      () => certificateCredential(certs.pkcs12, wrongPassword),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: PKCS#12 without a password',
      () => certificateCredential(certs.pkcs12),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: encrypted PEM with the wrong password',
      () => certificateCredential(certs.encryptedPem, wrongPassword),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: encrypted PEM without a password',
      () => certificateCredential(certs.encryptedPem),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: no private key (certificate-only PEM)',
      () => certificateCredential(certs.certificatePem),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: EC key',
      () => certificateCredential(certs.ecPem),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: PKCS#12 without a key',
      () => certificateCredential(certs.pkcs12NoKey, password),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: random bytes',
      () => certificateCredential(new Uint8Array(512).map((_, index) => (index * 7919) % 256)),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'certificate: text that is not PEM',
      () => certificateCredential('hello, I am not a certificate at all'),
      { type: 'TypeError', names: /clientCertificate/ },
    ],
    [
      'getClientAssertion is not a function',
      () =>
        new OnBehalfOfCredential('contoso.onmicrosoft.com', 'client', {
          userAssertion: assertion,
          getClientAssertion: 'jwt' as unknown as () => string,
        }),
      { type: 'TypeError', names: /getClientAssertion/ },
    ],
  ]
  function certificateCredential(certificate: string | Uint8Array, certificatePassword?: string): OnBehalfOfCredential {
    return new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
      userAssertion: assertion,
      clientCertificate: certificate,
      ...(certificatePassword === undefined ? {} : { password: certificatePassword }),
      authority: suite.emu.authorityHost,
      fetch: suite.fetch,
    })
  }

  it.each(rows)('%s', (name, build, expected) => {
    check(name, thrownBy(build), expected)
  })

  it('the good certificate in every container is accepted (so the rows above fail for their reason)', async () => {
    for (const [certificate, certificatePassword] of [
      [certs.pem, undefined],
      [certs.encryptedPem, password],
      [certs.pkcs12, password],
    ] as const) {
      const credential = certificateCredential(certificate, certificatePassword)
      const token = await credential.getToken(`${suite.api.appIdUri}/Read`)
      // The watched fetch made it a canary before the engine read it.
      expect(token.token.length).toBeGreaterThan(0)
    }
  })
})

describe('certificates handed to the engines directly', () => {
  const rows = [
    ['truncated PEM', () => certs.truncatedPem, undefined],
    ['wrong password', () => certs.pkcs12, wrongPassword],
    ['no key', () => certs.certificatePem, undefined],
    ['EC key', () => certs.ecPem, undefined],
    ['PKCS#12 without a key', () => certs.pkcs12NoKey, password],
  ] as const
  describe.each(engineNames)('%s engine', (engineName) => {
    it.each(rows)('%s → INVALID_CERTIFICATE', async (name, certificate, certificatePassword) => {
      const config: EngineConfig = {
        clientId: suite.app.clientId,
        authorityHost: suite.emu.authorityHost,
        fetch: suite.fetch,
        credential: {
          kind: 'certificate',
          certificate: certificate(),
          ...(certificatePassword === undefined ? {} : { password: certificatePassword }),
        },
      }
      // An engine may refuse at creation or at the first request; either way with a typed error.
      let thrown = thrownBy(() => engineFactory(engineName)(config))
      if (thrown === undefined) {
        const engine = engineFactory(engineName)(config)
        thrown = await rejectionOf(() =>
          engine.exchange({
            tenantId: suite.emu.tenantId,
            userAssertion: assertion,
            scopes: [`${suite.api.appIdUri}/Read`],
          }),
        )
      }
      check(`${engineName} engine, certificate: ${name}`, thrown, { type: 'OboError', code: 'INVALID_CERTIFICATE' })
    })
  })

  it('parseClientCertificate names the cause for each broken certificate', () => {
    for (const [name, certificate, certificatePassword] of rows) {
      check(
        `parseClientCertificate: ${name}`,
        thrownBy(() => parseClientCertificate(certificate(), certificatePassword)),
        { type: 'OboError', code: 'INVALID_CERTIFICATE' },
      )
    }
  })
})

describe('getToken arguments and user assertions', () => {
  const credential = (
    options: { userAssertion?: string; additionallyAllowedTenants?: string[]; engine?: 'jose' | 'msal' } = {},
  ): OnBehalfOfCredential =>
    new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
      userAssertion: options.userAssertion ?? assertion,
      clientSecret: secret,
      authority: suite.emu.authorityHost,
      fetch: suite.fetch,
      cache: createMemoryTokenCache(),
      engine: engineFactory(options.engine ?? 'jose'),
      ...(options.additionallyAllowedTenants === undefined
        ? {}
        : { additionallyAllowedTenants: options.additionallyAllowedTenants }),
      onEvent: (event) => scanner.recordValue('credential-event', event),
    })
  const scope = (): string => `${suite.api.appIdUri}/Read`

  type Row = readonly [name: string, run: () => Promise<unknown>, expected: Expected]
  const argumentRows: readonly Row[] = [
    ['no scope ([])', () => credential().getToken([]), { type: 'TypeError', names: /scope/ }],
    ['empty scope', () => credential().getToken(''), { type: 'TypeError', names: /scope/ }],
    [
      'scope with a space',
      () => credential().getToken('api://x/Read api://y/Write'),
      { type: 'TypeError', names: /scope/i },
    ],
    ['scope with a quote', () => credential().getToken('api://x/"Read'), { type: 'TypeError', names: /scope/i }],
    ['scope with a NUL', () => credential().getToken('api://x/\u0000'), { type: 'TypeError', names: /scope/i }],
    [
      'scope with CR LF (header injection)',
      () => credential().getToken('api://x/Read\r\nX-Evil: 1'),
      { type: 'TypeError', names: /scope/i },
    ],
    [
      'scope of 5,000 characters',
      () => credential().getToken(`api://x/${'a'.repeat(5_000)}`),
      { type: 'TypeError', names: /scope/i },
    ],
    [
      'scope that is not a string',
      () => credential().getToken([42 as unknown as string]),
      { type: 'TypeError', names: /scope/i },
    ],
    [
      'hostile tenantId at getToken',
      () => credential({ additionallyAllowedTenants: ['*'] }).getToken(scope(), { tenantId: '../../common' }),
      { type: 'TypeError', names: /tenant/i },
    ],
    [
      'tenantId not allowed',
      () => credential().getToken(scope(), { tenantId: 'fabrikam.onmicrosoft.com' }),
      { type: 'AuthenticationError', code: 'TENANT_NOT_ALLOWED' },
    ],
    [
      'claims that are not JSON',
      () => credential().getToken(scope(), { claims: 'eyJhY2Nlc3NfdG9rZW4iOnt9fQ==' }),
      { type: 'TypeError', names: /claims/ },
    ],
    [
      'closed credential',
      async () => {
        const closing = credential()
        await closing.close()
        return closing.getToken(scope())
      },
      { type: 'CredentialUnavailableError', code: 'CLOSED' },
    ],
  ]
  it.each(argumentRows)('%s', async (name, run, expected) => {
    check(name, await rejectionOf(run), expected)
  })

  describe.each(engineNames)('user assertions the IdP refuses (%s engine)', (engineName) => {
    const assertionRows: readonly (readonly [string, () => string, OboErrorCode | readonly OboErrorCode[]])[] = [
      ['not a JWT', () => 'this-is-not-a-jwt', 'INVALID_GRANT'],
      ['two segments', () => assertion.split('.').slice(0, 2).join('.'), 'INVALID_GRANT'],
      ['four segments', () => `${assertion}.extra`, 'INVALID_GRANT'],
      ['signature altered', () => `${assertion.slice(0, -6)}AAAAAA`, 'INVALID_GRANT'],
      ['expired 10 minutes ago', () => suite.userAssertion({ lifetimeSeconds: -600 }), 'INVALID_GRANT'],
      [
        'issued for another audience',
        () => suite.emu.issueUserToken({ user: suite.emu.defaults.users.plain, audience: suite.api.clientId }),
        'INVALID_GRANT',
      ],
      [
        'app-only token',
        () => suite.emu.issueUserToken({ appOnly: true, audience: suite.app.clientId }),
        'INVALID_GRANT',
      ],
      // 600 KB: past any real token, still under the emulator's 1 MB body limit, so Entra's own check answers.
      ['huge (600 KB)', () => `${assertion}${'A'.repeat(600_000)}`, 'INVALID_GRANT'],
    ]
    it.each(assertionRows)(
      '%s',
      async (name, make, code) => {
        const bad = make()
        const error = await rejectionOf(() => credential({ userAssertion: bad, engine: engineName }).getToken(scope()))
        const got = check(`${engineName}: assertion ${name}`, error, { type: 'AuthenticationError', code })
        expect(got).toBeDefined()
      },
      20_000,
    )

    it("huge (1.5 MB, over the emulator's 1 MB body limit): a typed error, and the next request is served at once", async () => {
      const bad = `${assertion}${'A'.repeat(1_500_000)}`
      const error = await rejectionOf(() => credential({ userAssertion: bad, engine: engineName }).getToken(scope()))
      check(`${engineName}: assertion huge (1.5 MB)`, error, { type: 'AuthenticationError', code: 'INVALID_RESPONSE' })
      // The 413 reaches the caller, as statusCode and on the cause.
      expect((error as AuthenticationError).statusCode).toBe(413)
      const cause = (error as AuthenticationError).cause
      expect(cause).toBeInstanceOf(InvalidResponseError)
      expect((cause as InvalidResponseError).status).toBe(413)
      // The refused body must not poison the connection it came on: the next exchange succeeds without a stall.
      const startedAt = performance.now()
      const token = await credential({ userAssertion: suite.userAssertion(), engine: engineName }).getToken(scope())
      expect(token.token.length).toBeGreaterThan(0)
      expect(performance.now() - startedAt).toBeLessThan(1_000)
    }, 20_000)
  })
})

describe('client-assertion callbacks', () => {
  const jwtLike = (): string => 'eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl'
  type Row = readonly [name: string, callback: () => string | Promise<string>, expected: Expected]
  const rows: readonly Row[] = [
    [
      'throws',
      () => {
        throw new Error('federated token file missing')
      },
      { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' },
    ],
    [
      'rejects',
      () => Promise.reject(new Error('IMDS unreachable')),
      { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' },
    ],
    ['returns an empty string', () => '', { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' }],
    ['returns whitespace', () => '   ', { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' }],
    [
      'returns undefined',
      () => undefined as unknown as string,
      { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' },
    ],
    [
      'returns a number',
      () => 42 as unknown as string,
      { type: 'CredentialUnavailableError', code: 'CLIENT_ASSERTION_FAILED' },
    ],
    ['returns an unsigned JWT the IdP refuses', jwtLike, { type: 'AuthenticationError', code: 'INVALID_CLIENT' }],
  ]
  describe.each(engineNames)('%s engine', (engineName) => {
    it.each(rows)('%s', async (name, callback, expected) => {
      const credential = new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
        userAssertion: assertion,
        getClientAssertion: callback,
        authority: suite.emu.authorityHost,
        fetch: suite.fetch,
        cache: createMemoryTokenCache(),
        engine: engineFactory(engineName),
      })
      const error = await rejectionOf(() => credential.getToken(`${suite.api.appIdUri}/Read`))
      check(`${engineName}: getClientAssertion ${name}`, error, expected)
      // A callback that failed is named, so the user knows which of their code to look at.
      if (name === 'throws' || name === 'rejects') expect((error as Error).message).toMatch(/callback/)
    })
  })
})

describe('certificate files', () => {
  it.each([
    ['missing file', (): string => join(tmpdir(), 'onbehalf-reliability-no-such-file.pem')],
    [
      'truncated PEM file',
      (): string => {
        const path = join(tmpdir(), `onbehalf-reliability-truncated-${process.pid}.pem`)
        writeFileSync(path, certs.truncatedPem)
        return path
      },
    ],
    ['a directory', (): string => tmpdir()],
  ])('%s → CredentialUnavailableError INVALID_CERTIFICATE at getToken', async (name, path) => {
    const credential = new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
      userAssertion: assertion,
      clientCertificatePath: path(),
      authority: suite.emu.authorityHost,
      fetch: suite.fetch,
    })
    check(
      `clientCertificatePath: ${name}`,
      await rejectionOf(() => credential.getToken(`${suite.api.appIdUri}/Read`)),
      {
        type: 'CredentialUnavailableError',
        code: 'INVALID_CERTIFICATE',
      },
    )
  })
})

describe('Entra answers with missing fields, wrong types, extra-long values', () => {
  const json = (body: unknown, status = 200): FaultSpec => ({
    kind: 'malformed',
    status,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify(body),
  })
  const ok = {
    token_type: 'Bearer',
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: 'eyJ0eXAiOiJKV1QifQ.eyJ4IjoxfQ.c2ln',
  }
  const { access_token: _dropToken, ...noToken } = ok
  const { expires_in: _dropExpiry, ...noExpiry } = ok
  type Row = readonly [name: string, fault: FaultSpec, code: OboErrorCode]
  const rows: readonly Row[] = [
    ['no access_token', json(noToken), 'INVALID_RESPONSE'],
    ['no expires_in', json(noExpiry), 'INVALID_RESPONSE'],
    ['access_token is a number', json({ ...ok, access_token: 12345 }), 'INVALID_RESPONSE'],
    ['access_token is an object', json({ ...ok, access_token: { jwt: 'x' } }), 'INVALID_RESPONSE'],
    ['access_token is empty', json({ ...ok, access_token: '' }), 'INVALID_RESPONSE'],
    ['expires_in is a word', json({ ...ok, expires_in: 'soon' }), 'INVALID_RESPONSE'],
    ['expires_in is negative', json({ ...ok, expires_in: -5 }), 'INVALID_RESPONSE'],
    ['expires_in is null', json({ ...ok, expires_in: null }), 'INVALID_RESPONSE'],
    ['body is a JSON array', json([ok]), 'INVALID_RESPONSE'],
    ['body is JSON null', json(null), 'INVALID_RESPONSE'],
    ['access_token of 2 MB', json({ ...ok, access_token: `eyJ.${'A'.repeat(2_000_000)}.x` }), 'INVALID_RESPONSE'],
    ['error body: error is a number', json({ error: 42, error_codes: 'x' }, 400), 'OAUTH_ERROR'],
    [
      'error body: error_codes of the wrong type',
      json({ error: 'invalid_grant', error_description: 'AADSTS50013: bad', error_codes: ['x', null, 5.5] }, 400),
      'INVALID_GRANT',
    ],
    [
      'error body: 100 KB error_description',
      json(
        { error: 'invalid_request', error_description: `AADSTS900144: ${'x'.repeat(100_000)}`, error_codes: [900144] },
        400,
      ),
      'OAUTH_ERROR',
    ],
    [
      'error body: claims of the wrong type',
      json({ error: 'interaction_required', error_codes: [50076], claims: 42 }, 400),
      'INTERACTION_REQUIRED',
    ],
    [
      'error body: 200 with an error field',
      json({ error: 'invalid_grant', error_codes: [50013] }, 200),
      'INVALID_GRANT',
    ],
    ['HTML 400 page', { kind: 'malformed', status: 400 }, 'INVALID_RESPONSE'],
  ]
  describe.each(engineNames)('%s engine', (engineName) => {
    it.each(rows)('%s', async (name, fault, code) => {
      suite.emu.faults.clear()
      suite.emu.faults.inject(fault)
      try {
        const credential = new OnBehalfOfCredential(suite.emu.tenantId, suite.app.clientId, {
          userAssertion: suite.userAssertion(),
          clientSecret: secret,
          authority: suite.emu.authorityHost,
          fetch: suite.fetch,
          cache: createMemoryTokenCache(),
          engine: engineFactory(engineName),
        })
        const error = await rejectionOf(() => credential.getToken(`${suite.api.appIdUri}/Read`))
        scanner.recordError('entra-answer', error)
        expect(error).toBeInstanceOf(AuthenticationError)
        expect((error as AuthenticationError).code, `${engineName}: ${name}`).toBe(code)
        expect((error as Error).message.length).toBeLessThan(6_000)
        expect((error as Error).message, `${engineName}: ${name}: the message must say what to do`).toMatch(actionable)
        figures.add({
          input: `${engineName}: Entra answer, ${name}`,
          error: 'AuthenticationError',
          code,
          message: (error as Error).message.slice(0, 120),
        })
      } finally {
        suite.emu.faults.clear()
      }
    })
  })
})

describe('engines refuse unusable configuration with a typed error', () => {
  const good = (): EngineConfig => ({
    clientId: suite.app.clientId,
    credential: { kind: 'secret', secret },
    authorityHost: suite.emu.authorityHost,
    fetch: suite.fetch,
  })
  const rows: readonly (readonly [string, () => EngineConfig, OboErrorCode])[] = [
    ['http authority', () => ({ ...good(), authorityHost: 'http://login.microsoftonline.com' }), 'INVALID_AUTHORITY'],
    [
      'authority with user info',
      () => ({ ...good(), authorityHost: `https://u:${authorityPassword}@login.microsoftonline.com` }),
      'INVALID_AUTHORITY',
    ],
    ['authority that is not a URL', () => ({ ...good(), authorityHost: 'login microsoft' }), 'INVALID_AUTHORITY'],
    ['empty client ID', () => ({ ...good(), clientId: '' }), 'INVALID_ARGUMENT'],
    ['empty secret', () => ({ ...good(), credential: { kind: 'secret', secret: '' } }), 'INVALID_ARGUMENT'],
  ]
  for (const [engineName, factory] of [
    ['jose', createJoseEngine()],
    ['msal', createMsalEngine()],
  ] as const) {
    it.each(rows)(`${engineName}: %s`, (name, config, code) => {
      check(
        `${engineName} engine: ${name}`,
        thrownBy(() => factory(config())),
        { type: 'OboError', code },
      )
    })
  }
})

describe('secrets in the bad-input runs', () => {
  it('no unhandled rejection, and no canary in any error, event or log line', async () => {
    await settle()
    expect(watch.rejections).toEqual([])
    expect(logs.lines).toBeGreaterThan(0)
    expect(scanner.watchedTokens).toBeGreaterThan(0)
    expect(scanner.leaks()).toEqual([])
  })
})
