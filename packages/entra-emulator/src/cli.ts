import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { exposureWarning, startEmulator } from './emulator.ts'
import type { DefaultUsers } from './defaults.ts'
import type { EntraEmulator } from './emulator.ts'

const HELP = `onbehalf-entra-emulator — a local Microsoft Entra ID for On-Behalf-Of tests and demos

Usage: onbehalf-entra-emulator [options]

Options:
  --port <n>                 port to listen on (default 0: any free port)
  --host <addr>              address to bind (default 127.0.0.1)
  --http                     serve plain HTTP instead of HTTPS
  --seed <text>              derive tenant/app/user IDs and secrets from this seed (stable across restarts)
  --tenant-id <guid>         ID of the default tenant
  --ca-file <path>           where to write the CA certificate (default: ca.pem in a new private directory
                             under the temp directory, removed on exit)
  --cert-file <path>         also write the middle-tier app's private key + certificate (PEM) here
  --access-token-seconds <n> lifetime of issued access tokens (default 3600)
  --json                     print the configuration as one JSON line instead of text
  --quiet                    do not log requests
  -h, --help                 show this help
`

/** The default users by name (an interface has no index signature, so `Object.entries` would type them `any`). */
function usersByName(users: DefaultUsers): Record<string, DefaultUsers[keyof DefaultUsers]> {
  return { ...users }
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer`)
  return n
}

function describe(
  emu: EntraEmulator,
  caFile: string | undefined,
  certFile: string | undefined,
): Record<string, unknown> {
  const { middleTier, downstream, frontEnd, daemon, users } = emu.defaults
  return {
    authorityHost: emu.authorityHost,
    authority: emu.authority,
    tenantId: emu.tenantId,
    tenantDomain: emu.tenant.domain,
    caFile,
    middleTier: {
      clientId: middleTier.clientId,
      clientSecret: middleTier.clientSecret,
      appIdUri: middleTier.appIdUri,
      scopes: middleTier.scopes,
      certificateThumbprintSha256: middleTier.thumbprintSha256Hex,
      certificateFile: certFile,
    },
    downstream: { clientId: downstream.clientId, appIdUri: downstream.appIdUri, scopes: downstream.scopes },
    frontEnd: { clientId: frontEnd.clientId },
    daemon: { clientId: daemon.clientId, clientSecret: daemon.clientSecret },
    users: Object.fromEntries(Object.entries(usersByName(users)).map(([k, u]) => [k, { upn: u.upn, oid: u.oid }])),
    userTokenEndpoint: `${emu.authorityHost}/${emu.tenantId}/test/user-token`,
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      http: { type: 'boolean' },
      seed: { type: 'string' },
      'tenant-id': { type: 'string' },
      'ca-file': { type: 'string' },
      'cert-file': { type: 'string' },
      'access-token-seconds': { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help === true) {
    process.stdout.write(HELP)
    return
  }
  const port = positiveInt(values.port, 'port')
  const accessTokenSeconds = positiveInt(values['access-token-seconds'], 'access-token-seconds')
  const quiet = values.quiet === true || values.json === true
  const exposure = exposureWarning(values.host ?? '127.0.0.1')
  if (exposure !== undefined) {
    const rule = '!'.repeat(78)
    process.stderr.write(`${rule}\n!! WARNING: ${exposure}\n${rule}\n`)
  }
  const emu = await startEmulator({
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.http === true ? { https: false } : {}),
    ...(values.seed !== undefined ? { seed: values.seed } : {}),
    ...(values['tenant-id'] !== undefined ? { tenantId: values['tenant-id'] } : {}),
    ...(accessTokenSeconds !== undefined ? { tokenLifetimes: { accessTokenSeconds } } : {}),
    ...(quiet
      ? {}
      : {
          // Method, path, status and IDs only: never a secret, assertion or token.
          onRequest: (r) => {
            const grant =
              r.grantType === undefined ? '' : ` grant=${r.grantType.replace('urn:ietf:params:oauth:grant-type:', '')}`
            const client = r.clientId === undefined ? '' : ` client=${r.clientId}`
            const codes = r.errorCodes === undefined ? '' : ` AADSTS${r.errorCodes.join(',')}`
            const faults = r.faults.length > 0 ? ` faults=${r.faults.join(',')}` : ''
            process.stdout.write(
              `${r.method} ${r.path} → ${r.status === 0 ? 'dropped' : r.status}${grant}${client}${codes}${faults} ${r.durationMs.toFixed(1)}ms\n`,
            )
          },
        }),
  })
  let caFile: string | undefined
  let privateDir: string | undefined
  if (emu.caCertificate !== '') {
    if (values['ca-file'] !== undefined) {
      caFile = resolve(values['ca-file'])
      writeFileSync(caFile, emu.caCertificate)
    } else {
      // Not a fixed name in the shared temp directory, where another user could have planted a file or link
      // of their own: a new directory only this user can enter (mkdtemp makes it 0700), and a file created
      // there exclusively.
      privateDir = mkdtempSync(join(tmpdir(), 'onbehalf-entra-emulator-'))
      caFile = join(privateDir, 'ca.pem')
      writeFileSync(caFile, emu.caCertificate, { flag: 'wx', mode: 0o644 })
    }
  }
  let certFile: string | undefined
  if (values['cert-file'] !== undefined) {
    certFile = resolve(values['cert-file'])
    writeFileSync(certFile, `${emu.defaults.middleTier.privateKeyPem}${emu.defaults.middleTier.certificatePem}`, {
      mode: 0o600,
    })
    // `mode` applies only when the file is created: tighten a file that was already there.
    chmodSync(certFile, 0o600)
  }
  // Before the configuration is printed: whoever reads it may stop the emulator at once.
  const stop = (): void => {
    void emu.close().then(() => {
      if (privateDir !== undefined) rmSync(privateDir, { recursive: true, force: true })
      process.exit(0)
    })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const info = describe(emu, caFile, certFile)
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(info)}\n`)
  } else {
    const { middleTier, downstream, users } = emu.defaults
    const curlCa = caFile === undefined ? '' : ` --cacert '${caFile}'`
    process.stdout.write(
      [
        'onbehalf Entra emulator is running',
        '',
        `  authority host  ${emu.authorityHost}`,
        `  tenant          ${emu.tenantId} (${emu.tenant.domain})`,
        `  authority       ${emu.authority}`,
        ...(caFile === undefined
          ? []
          : [`  CA certificate  ${caFile}`, `                  trust it:  export NODE_EXTRA_CA_CERTS='${caFile}'`]),
        '',
        '  middle-tier app (confidential client)',
        `    client id     ${middleTier.clientId}`,
        `    secret        ${middleTier.clientSecret}`,
        `    certificate   SHA-256 ${middleTier.thumbprintSha256Hex}${certFile === undefined ? ' (write it with --cert-file)' : ` → ${certFile}`}`,
        `    App ID URI    ${middleTier.appIdUri}   scopes: ${middleTier.scopes.join(' ')}`,
        '  downstream API',
        `    client id     ${downstream.clientId}`,
        `    scopes        ${downstream.scopes.join(' ')}`,
        '',
        '  users',
        ...Object.entries(usersByName(users)).map(([k, u]) => `    ${k.padEnd(15)} ${u.upn}`),
        '',
        '  a user token for the middle tier:',
        `    curl -s${curlCa} -X POST '${emu.authorityHost}/${emu.tenantId}/test/user-token' \\`,
        `      -H 'content-type: application/json' -d '{"user":"${users.plain.upn}"}'`,
        '',
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    )
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`onbehalf-entra-emulator: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
