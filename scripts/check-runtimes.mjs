#!/usr/bin/env node
// @onbehalf/core and the jose engine, and @onbehalf/server's Hono adapter, in the real Web-standard runtimes, from
// the packed tarballs.
//
// Installs Deno, Bun and Cloudflare's workerd from npm (their packages ship the binaries) into a temp prefix,
// packs core, certificate, jose, azure and server with pnpm, installs the tarballs (and hono) into an empty
// project, starts the Entra emulator over HTTPS from Node, and in each runtime × credential (a client secret, a
// PEM certificate) runs scripts/runtimes/scenario.mjs: an OBO exchange, then the same request served from the provider's cache (in
// workerd, by a later request to the Worker, the provider at module scope as a real Worker keeps it).
// Node checks every answer: both tokens equal and for the downstream API, exactly one token request reached
// the emulator (its recorded requests), with the credential expected, and core's SHA-256 gave the right digests.
//
// Each runtime trusts the emulator's CA its own way, with its own global fetch:
//   deno     `deno run --cert ca.pem`
//   bun      `NODE_EXTRA_CA_CERTS=ca.pem`
//   workerd  a network service with `tlsOptions.trustedCertificates` as the Worker's `globalOutbound`; the
//            Worker is bundled by esbuild with the conditions Cloudflare's tooling uses (workerd, worker,
//            browser, import), so core's `#sha256` resolves to the Web fallback there (Deno and Bun take the
//            `node` condition): the bundle's inputs are checked for it, and the digests prove it right.
//
// A control per runtime runs without that trust and must fail with NETWORK_ERROR before reaching the emulator.
//
// Then a Hono app on @onbehalf/server/hono with the jose engine (scripts/runtimes/hono-worker.mjs), as a Worker in
// the same workerd process (one per credential and compatibility date) and served by Deno's and Bun's own HTTP
// servers (serve-hono.mjs): a request with an emulator-issued user token is validated (keys fetched from the
// emulator) and exchanged On-Behalf-Of, a second request with it is served from the cache (one token request in
// all), and a missing token and a forged signature get 401 with the Bearer challenge. workerd's control: without
// the CA, 503 METADATA_UNAVAILABLE.
//
// Prints one line per runtime × credential (`runtime deno secret: ok …`) and per control, and exits non-zero on
// any failure.
// Run after `pnpm build`: node scripts/check-runtimes.mjs
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installProject, packPackages, run } from './lib/packed-project.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const here = join(root, 'scripts', 'runtimes')

/** Pinned, so a runtime release never changes a CI verdict unannounced. */
const tools = { deno: '2.9.6', bun: '1.4.5', workerd: '1.20261117.1', esbuild: '0.28.2' }
/**
 * workerd runs the Worker at two compatibility dates: the oldest the jose README promises, and the newest this
 * workerd knows (its version's date). 2024-11-11 would be the minimum if core sent `cache` in a RequestInit.
 */
const workerdCompatibilityDates = ['2023-01-01', tools.workerd.replace(/^1\.(\d{4})(\d\d)(\d\d)\..*$/, '$1-$2-$3')]
/**
 * How wrangler bundles a Worker without `nodejs_compat`: esbuild's default platform (`browser`, so `browser`
 * field maps apply and `browser`/`module`/`main` are the main fields), the conditions workerd, worker and
 * browser (esbuild adds import and default), ESM.
 */
const workerBundle = {
  platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'],
  format: 'esm',
  target: 'es2022',
}
/**
 * Workspace packages the runtimes load from their tarballs (jose's dependencies included; server and its
 * dependency azure for the Hono Worker).
 */
const packedPackages = ['core', 'certificate', 'jose', 'azure', 'server']
/** Registry packages the Workers import besides the tarballs' own dependencies: the Hono Worker's framework. */
const registryPackages = ['hono@4.13.19']
const processTimeoutMs = 60_000
/**
 * The environment variables a Deno server on `@onbehalf/server` reads (its README lists them): the Azure SDK's
 * logger at import, `@onbehalf/azure` for its default authority and multi-tenant switch.
 */
const denoEnv = [
  'DEBUG',
  'AZURE_LOG_LEVEL',
  'TYPESPEC_RUNTIME_LOG_LEVEL',
  'AZURE_AUTHORITY_HOST',
  'AZURE_IDENTITY_DISABLE_MULTITENANTAUTH',
].join(',')

/**
 * The Workers that one workerd process serves, each on its own socket. Each entry: `name`; `entry`, a file in
 * scripts/runtimes/ (copied into the project, so it imports the packed tarballs), bundled as Cloudflare's tooling
 * would; `compatibilityDate`; optional `outbound` (its `globalOutbound`: 'emulator-network', the default, trusts
 * the emulator's CA; 'untrusting-network' does not), `checkBundle(metafile)` and `bindings(context)` (JSON
 * bindings, by name); and `checks(context)`, returning `{ label, run }` items, where `run()` sends requests to
 * `context.origin` and returns the `ok` line's detail or throws. `context` has `app`, `emu`, `credentials`,
 * `scenarioCheck` and `controlCheck`.
 *
 * The Hono app on `@onbehalf/server/hono` (scripts/runtimes/hono-worker.mjs) joins the same workerd process: one
 * Worker per credential, its configuration as the JSON binding `ONBEHALF`, and a control whose outbound network
 * does not trust the emulator's CA.
 */
const workerdWorkers = [
  ...workerdCompatibilityDates.map((compatibilityDate) => ({
    name: `scenario${compatibilityDate.replaceAll('-', '')}`,
    entry: 'worker.mjs',
    compatibilityDate,
    checkBundle(metafile) {
      const inputs = Object.keys(metafile.inputs)
      const web = inputs.some((path) => path.endsWith('@onbehalf/core/dist/sha256-web.js'))
      const node = inputs.some((path) => path.includes('sha256-node'))
      if (!web || node) throw new Error(`core's #sha256 did not resolve to the Web fallback: ${inputs.join(', ')}`)
    },
    checks: ({ credentials, origin, scenarioCheck }) =>
      credentials.map((credential) => ({
        label: `workerd@${compatibilityDate} ${credential.label}`,
        run: async () => {
          const detail = await scenarioCheck(credential, 'second call in a later request', workerScenario(origin))
          return `${detail} by the bundled Web SHA-256`
        },
      })),
  })),
  {
    // The control: the same Worker whose outbound network does not trust the emulator's CA must fail.
    name: 'untrusting',
    entry: 'worker.mjs',
    compatibilityDate: workerdCompatibilityDates.at(-1),
    outbound: 'untrusting-network',
    checks: ({ origin, controlCheck }) => [
      { label: 'workerd without the CA', run: () => controlCheck(workerScenario(origin)) },
    ],
  },
  // @onbehalf/server's Hono adapter with the default (jose) engine: one Worker (one isolate) per credential at each
  // compatibility date; the refusals on one of them.
  ...workerdCompatibilityDates.flatMap((compatibilityDate) =>
    ['secret', 'certificate'].map((credentialLabel) => ({
      name: `hono${credentialLabel}${compatibilityDate.replaceAll('-', '')}`,
      entry: 'hono-worker.mjs',
      compatibilityDate,
      bindings: (context) => ({ ONBEHALF: honoConfig(context, credentialLabel) }),
      checks: (context) => [
        // First: it also checks that this isolate fetched the signing keys exactly once.
        {
          label: `workerd@${compatibilityDate} hono ${credentialLabel}`,
          run: () => honoExchangeCheck(context, credentialLabel),
        },
        ...(credentialLabel === 'secret' && compatibilityDate === workerdCompatibilityDates.at(-1)
          ? honoRefusalChecks(context)
          : []),
      ],
    })),
  ),
  {
    // The control: the Hono Worker whose outbound network does not trust the emulator's CA cannot read Entra's
    // metadata, so it must answer 503 METADATA_UNAVAILABLE (the passing lines owe their keys to that trust).
    name: 'honountrusting',
    entry: 'hono-worker.mjs',
    compatibilityDate: workerdCompatibilityDates.at(-1),
    outbound: 'untrusting-network',
    bindings: (context) => ({ ONBEHALF: honoConfig(context, 'secret') }),
    checks: ({ emu, origin }) => [
      {
        label: 'workerd hono without the CA',
        run: async () => {
          const userToken = emu.issueUserToken({ user: emu.defaults.users.plain })
          const { status, body } = await honoGet(origin, userToken)
          if (status !== 503 || body.code !== 'METADATA_UNAVAILABLE') {
            throw new Error(`expected 503 METADATA_UNAVAILABLE, got ${status} ${JSON.stringify(body)}`)
          }
          const sent = emu.requests.filter((r) => r.endpoint === 'token' && r.form['assertion'] === userToken)
          if (sent.length !== 0) throw new Error(`${sent.length} token requests reached the emulator, expected none`)
          return '503 METADATA_UNAVAILABLE, no token request reached the emulator'
        },
      },
    ],
  },
]

/** The Hono Worker's configuration (its `ONBEHALF` JSON binding) for the credential labelled `credentialLabel`. */
function honoConfig({ emu, credentials }, credentialLabel) {
  return {
    authorityHost: emu.authorityHost,
    tenantId: emu.tenantId,
    clientId: emu.defaults.middleTier.clientId,
    credential: credentials.find((c) => c.label === credentialLabel).credential,
    scopes: [emu.defaults.downstream.scopes[0]],
  }
}

/** GET /obo from the Hono Worker, with `Authorization: Bearer <userToken>` unless `userToken` is undefined. */
async function honoGet(origin, userToken) {
  const headers = userToken === undefined ? {} : { Authorization: `Bearer ${userToken}` }
  const response = await fetch(`${origin}/obo`, { headers })
  const text = await response.text()
  let body
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`the Hono Worker answered ${response.status} with no JSON: ${text.slice(0, 500)}`)
  }
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body }
}

/**
 * Two requests to the Hono Worker with one emulator-issued user token: the first validates it (keys fetched from
 * the emulator) and exchanges it, the second is served from the caches. Checked against what the emulator saw.
 */
async function honoExchangeCheck({ emu, credentials, origin }, credentialLabel) {
  const { wire } = credentials.find((c) => c.label === credentialLabel)
  const userToken = emu.issueUserToken({ user: emu.defaults.users.plain })
  const answers = []
  for (let i = 0; i < 2; i++) {
    const { status, body } = await honoGet(origin, userToken)
    if (status !== 200) throw new Error(`request ${i + 1} answered ${status}: ${JSON.stringify(body)}`)
    answers.push(body)
  }
  const [first, second] = answers
  const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
  if (first.oid !== claimsOf(userToken).oid) throw new Error(`the caller's oid is ${first.oid}, not the user's`)
  const sent = emu.requests.filter((r) => r.endpoint === 'token' && r.form['assertion'] === userToken)
  if (sent.length !== 1) throw new Error(`${sent.length} token requests reached the emulator, expected 1`)
  if (sent[0].status !== 200) throw new Error(`the emulator answered ${sent[0].status} (${sent[0].error})`)
  if (sent[0].form[wire] === undefined) throw new Error(`the token request carried no ${wire}`)
  if (first.token !== second.token) throw new Error('the second request did not get the cached token')
  const audience = claimsOf(first.token).aud
  if (audience !== emu.defaults.downstream.clientId) throw new Error(`the token is for ${audience}, not downstream`)
  const expect = (what, actual, expected) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)
    }
  }
  // Each request's caller made its own credential; both shared this isolate's one engine (and so its cache).
  expect('OBO engines created after request 2', second.credentialStats.enginesCreated, 1)
  // Keys fetched once by this isolate (from the emulator: it recorded the JWKS request), the token verified once.
  expect('key fetches after request 2', second.apiStats.jwksFetches, 1)
  expect('verified tokens after request 2', second.apiStats.verifiedTokens, 1)
  if (!emu.requests.some((r) => r.endpoint === 'jwks' && r.status === 200)) {
    throw new Error('the emulator served no JWKS request')
  }
  return `token validated with keys from the emulator, 1 token request with ${wire}, second request from the cache`
}

/** The adapter's refusals: no token, and a token whose signature is not its own. 401 with the Bearer challenge. */
function honoRefusalChecks(context) {
  const { emu } = context
  const refusal = (label, makeToken, code) => ({
    label: `workerd hono ${label}`,
    run: async ({ origin } = context) => {
      const userToken = makeToken()
      const { status, challenge, body } = await honoGet(origin, userToken)
      if (status !== 401 || body.code !== code) {
        throw new Error(`expected 401 ${code}, got ${status} ${JSON.stringify(body)}`)
      }
      if (!/^Bearer error="invalid_token", error_description="[^"]+"$/.test(challenge ?? '')) {
        throw new Error(`WWW-Authenticate is ${JSON.stringify(challenge)}, not a Bearer invalid_token challenge`)
      }
      if (
        userToken !== undefined &&
        emu.requests.some((r) => r.endpoint === 'token' && r.form['assertion'] === userToken)
      ) {
        throw new Error('a token request reached the emulator for a refused token')
      }
      return `401 ${code}, WWW-Authenticate: ${challenge}`
    },
  })
  return [
    refusal('without a token', () => undefined, 'MISSING_TOKEN'),
    refusal(
      'with a forged signature',
      () => {
        // A real user token's header and claims with another real token's signature: only RS256 verification
        // against the emulator's keys can tell.
        const [header, payload] = emu.issueUserToken({ user: emu.defaults.users.plain }).split('.')
        const signature = emu.issueUserToken({ user: emu.defaults.users.plain, lifetimeSeconds: 120 }).split('.')[2]
        return `${header}.${payload}.${signature}`
      },
      'INVALID_TOKEN',
    ),
  ]
}

/** Sends the scenario to a Worker serving worker.mjs: its first call, then its second in a later request. */
function workerScenario(origin) {
  return async (input) => {
    let answer
    for (const call of ['first', 'second']) {
      const response = await fetch(`${origin}/${call}`, { method: 'POST', body: JSON.stringify(input) })
      if (!response.ok) throw new Error(`the Worker answered ${response.status}: ${await response.text()}`)
      answer = await response.json()
    }
    return answer
  }
}

const started = Date.now()
// The emulator runs in Node from the workspace build (run after `pnpm build`).
const { startEmulator } = await import(join(root, 'packages', 'entra-emulator', 'dist', 'index.js'))
const work = mkdtempSync(join(tmpdir(), 'onbehalf-runtimes-'))
let emu
let workerd
/** Deno's and Bun's Hono servers started so far (promises of `{ origin, stop }`). */
const servers = []
let failures = 0

try {
  // The tools, then the project with the tarballs and the scripts in scripts/runtimes/.
  const toolsDir = join(work, 'tools')
  mkdirSync(toolsDir)
  run(
    'npm',
    [
      'install',
      '--prefix',
      toolsDir,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...Object.entries(tools).map(([name, version]) => `${name}@${version}`),
    ],
    work,
  )
  const bin = (name) => join(toolsDir, 'node_modules', '.bin', name)
  for (const name of ['deno', 'bun', 'workerd']) console.log(`${name}: ${run(bin(name), ['--version']).split('\n')[0]}`)
  const esbuild = createRequire(join(toolsDir, 'package.json'))('esbuild')

  const packed = join(work, 'packed')
  mkdirSync(packed)
  const tarball = packPackages(root, packedPackages, packed)
  const app = installProject(join(work, 'app'), Object.values(tarball), registryPackages)
  for (const file of readdirSync(here)) copyFileSync(join(here, file), join(app, file))

  // recordSecrets: token requests are told apart by the user assertion they carry.
  emu = await startEmulator({ recordSecrets: true })
  const caFile = join(work, 'emulator-ca.pem')
  writeFileSync(caFile, emu.caCertificate)
  const port = new URL(emu.authorityHost).port
  const { middleTier, downstream, users } = emu.defaults
  const credentials = [
    { label: 'secret', credential: { kind: 'secret', secret: middleTier.clientSecret }, wire: 'client_secret' },
    {
      label: 'certificate',
      credential: { kind: 'certificate', certificate: `${middleTier.privateKeyPem}\n${middleTier.certificatePem}` },
      wire: 'client_assertion',
    },
  ]
  const context = { app, emu, credentials, scenarioCheck, controlCheck }
  const env = { PATH: process.env.PATH ?? '', HOME: work, NO_COLOR: '1' }

  /** Deno and Bun: one process per run, the input on stdin, the result on stdout. */
  const processRuntimes = [
    {
      name: 'deno',
      command: bin('deno'),
      args: ['run', '--no-lock', '--node-modules-dir=manual', `--allow-net=127.0.0.1:${port}`],
      // serve-hono.mjs also listens, on an ephemeral port of 127.0.0.1, and reads the environment variables the
      // server package's README lists for Deno (the Azure SDK's logger reads three at import).
      serveArgs: ['run', '--no-lock', '--node-modules-dir=manual', '--allow-net=127.0.0.1', `--allow-env=${denoEnv}`],
      env: { ...env, DENO_DIR: join(work, 'deno-cache'), DENO_NO_UPDATE_CHECK: '1' },
      trust: { args: [`--cert=${caFile}`], env: {} },
    },
    {
      name: 'bun',
      command: bin('bun'),
      args: ['run'],
      serveArgs: ['run'],
      env,
      trust: { args: [], env: { NODE_EXTRA_CA_CERTS: caFile } },
    },
  ]
  /** Runs the scenario in a fresh process of `runtime`, trusting the emulator's CA or not. */
  const processScenario = (runtime, trusted) => async (input) => {
    const trust = trusted ? runtime.trust : { args: [], env: {} }
    const out = await runProcess(runtime.command, [...runtime.args, ...trust.args, 'run-scenario.mjs'], {
      cwd: app,
      env: { ...runtime.env, ...trust.env },
      input: JSON.stringify(input),
    })
    return JSON.parse(out.stdout.trim().split('\n').at(-1))
  }

  const checks = []
  for (const runtime of processRuntimes) {
    for (const credential of credentials) {
      checks.push({
        label: `${runtime.name} ${credential.label}`,
        run: () => scenarioCheck(credential, 'second call', processScenario(runtime, true)),
      })
    }
    checks.push({ label: `${runtime.name} without the CA`, run: () => controlCheck(processScenario(runtime, false)) })
    // The Hono app of the workerd check, served by the runtime's own HTTP server: one process per credential.
    for (const credential of credentials) {
      const server = lazyHonoServer(runtime, credential.label)
      const withOrigin = (check) => async () => check({ ...context, origin: await server.origin() })
      checks.push({
        label: `${runtime.name} hono ${credential.label}`,
        run: withOrigin((honoContext) => honoExchangeCheck(honoContext, credential.label)),
      })
      if (credential.label === 'secret') {
        for (const refusal of honoRefusalChecks(context)) {
          checks.push({ label: refusal.label.replace(/^workerd/, runtime.name), run: withOrigin(refusal.run) })
        }
      }
    }
  }

  try {
    workerd = await startWorkerd({ esbuild, bin, app, caFile, workers: workerdWorkers, context })
    for (const worker of workerdWorkers) {
      checks.push(...worker.checks({ ...context, origin: workerd.origins[worker.name] }))
    }
  } catch (error) {
    // Bundling or starting failed: one failing line, and Deno and Bun still run.
    checks.push({ label: 'workerd', run: () => Promise.reject(error) })
  }

  /**
   * The Hono app served by `runtime` (serve-hono.mjs) with `credentialLabel`'s configuration, trusting the
   * emulator's CA the runtime's way; started by the first check that asks for its origin, stopped at the end.
   */
  function lazyHonoServer(runtime, credentialLabel) {
    let started
    return {
      origin() {
        started ??= startServer(runtime.command, [...runtime.serveArgs, ...runtime.trust.args, 'serve-hono.mjs'], {
          cwd: app,
          env: { ...runtime.env, ...runtime.trust.env },
          input: JSON.stringify(honoConfig(context, credentialLabel)),
        })
        servers.push(started)
        return started.then(({ origin }) => origin)
      },
    }
  }

  for (const check of checks) {
    try {
      console.log(`runtime ${check.label}: ok (${await check.run()})`)
    } catch (error) {
      failures++
      console.log(`runtime ${check.label}: FAIL ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /**
   * Runs the scenario through `send` (input → the runtime's result JSON) with a fresh user assertion, and
   * checks its result against what the emulator saw. Returns the detail for the `ok` line (`secondCall` says
   * how the cached call was made); throws on failure.
   */
  async function scenarioCheck(credential, secondCall, send) {
    const { userAssertion, hashInputs, result } = await runScenarioThrough(send, credential)
    const hashes = result.hashes ?? []
    hashInputs.forEach((text, i) => {
      const hex = createHash('sha256').update(text).digest('hex')
      const base64Url = createHash('sha256').update(text).digest('base64url')
      if (hashes[i]?.hex !== hex || hashes[i]?.base64Url !== base64Url) {
        throw new Error(`core's SHA-256 of input ${i} (${text.length} chars) is wrong in this runtime`)
      }
    })
    if (!result.ok) throw new Error(`the scenario failed: ${result.error}`)
    const sent = emu.requests.filter((r) => r.endpoint === 'token' && r.form['assertion'] === userAssertion)
    if (sent.length !== 1) throw new Error(`${sent.length} token requests reached the emulator, expected 1`)
    if (sent[0].status !== 200) throw new Error(`the emulator answered ${sent[0].status} (${sent[0].error})`)
    if (sent[0].form[credential.wire] === undefined) throw new Error(`the token request carried no ${credential.wire}`)
    const [first, second] = result.tokens
    if (first !== second) throw new Error('the second call did not return the cached token')
    const audience = JSON.parse(Buffer.from(first.split('.')[1], 'base64url').toString('utf8')).aud
    if (audience !== downstream.clientId) throw new Error(`the token is for ${audience}, not the downstream API`)
    const { misses, hits, engineCalls } = result.stats
    if (misses !== 1 || hits !== 1 || engineCalls !== 1) {
      throw new Error(`provider counted ${misses} misses, ${hits} hits, ${engineCalls} engine calls; expected 1, 1, 1`)
    }
    return `1 token request with ${credential.wire}, ${secondCall} from the cache, ${hashInputs.length} SHA-256 digests right`
  }

  /**
   * The control: without the runtime's way of trusting the emulator's CA, the scenario must fail with
   * `NETWORK_ERROR` before any token request reaches the emulator (so the passing lines owe it to that trust).
   */
  async function controlCheck(send) {
    const { userAssertion, result } = await runScenarioThrough(send, credentials[0])
    if (result.ok) throw new Error('the exchange succeeded without trusting the emulator CA')
    if (!result.error.startsWith('NETWORK_ERROR')) throw new Error(`expected NETWORK_ERROR, got ${result.error}`)
    const sent = emu.requests.filter((r) => r.endpoint === 'token' && r.form['assertion'] === userAssertion)
    if (sent.length !== 0) throw new Error(`${sent.length} token requests reached the emulator, expected none`)
    return 'refused with NETWORK_ERROR, no token request reached the emulator'
  }

  /** Sends the scenario's input for `credential`, with a fresh user assertion, through `send`. */
  async function runScenarioThrough(send, credential) {
    const userAssertion = emu.issueUserToken({ user: users.plain })
    const hashInputs = knownHashInputs(userAssertion)
    const result = await send({
      authorityHost: emu.authorityHost,
      tenantId: emu.tenantId,
      clientId: middleTier.clientId,
      credential: credential.credential,
      userAssertion,
      scopes: [downstream.scopes[0]],
      hashInputs,
    })
    return { userAssertion, hashInputs, result }
  }
} catch (error) {
  failures++
  console.log(`runtime check: FAIL ${error instanceof Error ? error.message : String(error)}`)
  if (error && typeof error === 'object' && 'stderr' in error) console.log(String(error.stderr).slice(0, 2000))
} finally {
  await workerd?.stop()
  for (const server of servers) {
    await server.then(
      ({ stop }) => stop(),
      () => undefined,
    )
  }
  await emu?.close()
  rmSync(work, { recursive: true, force: true })
}
console.log(
  failures === 0
    ? `runtimes: all checks passed in ${Math.round((Date.now() - started) / 1000)} s`
    : `runtimes: ${failures} check(s) failed`,
)
process.exit(failures === 0 ? 0 : 1)

// --- workerd ---------------------------------------------------------------------------------------------------

/**
 * Bundles every Worker, writes one workerd config and serves it; resolves with each Worker's origin once workerd
 * reports its sockets listening (`--control-fd`), and `stop()`.
 */
async function startWorkerd({ esbuild, bin, app, caFile, workers, context }) {
  const dir = join(app, 'workerd')
  mkdirSync(dir)
  copyFileSync(caFile, join(dir, 'ca.pem'))
  const services = []
  const sockets = []
  const definitions = []
  for (const worker of workers) {
    const result = await esbuild.build({
      ...workerBundle,
      entryPoints: [join(app, worker.entry)],
      bundle: true,
      outfile: join(dir, `${worker.name}.js`),
      metafile: true,
      logLevel: 'silent',
    })
    worker.checkBundle?.(result.metafile)
    const bindings = Object.entries(worker.bindings?.(context) ?? {}).map(
      ([name, value]) => `(name = ${JSON.stringify(name)}, json = ${JSON.stringify(JSON.stringify(value))})`,
    )
    services.push(`(name = "${worker.name}", worker = .${worker.name}Worker)`)
    sockets.push(`(name = "${worker.name}", address = "127.0.0.1:0", http = (), service = "${worker.name}")`)
    definitions.push(`const ${worker.name}Worker :Workerd.Worker = (
  modules = [(name = "${worker.name}.js", esModule = embed "${worker.name}.js")],
  compatibilityDate = "${worker.compatibilityDate}",
  globalOutbound = "${worker.outbound ?? 'emulator-network'}",
  bindings = [${bindings.join(', ')}],
);`)
  }
  // Loopback only ("local"), trusting the emulator's CA and nothing else.
  services.push(
    `(name = "emulator-network", network = (allow = ["local"], tlsOptions = (trustedCertificates = [embed "ca.pem"])))`,
    `(name = "untrusting-network", network = (allow = ["local"]))`,
  )
  writeFileSync(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    ${services.join(',\n    ')}
  ],
  sockets = [
    ${sockets.join(',\n    ')}
  ],
);

${definitions.join('\n\n')}
`,
  )
  const child = spawn(bin('workerd'), ['serve', 'config.capnp', '--control-fd=3'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  child.stdout.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const origins = await new Promise((resolve, reject) => {
    const found = {}
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`workerd did not listen within 30 s: ${stderr}`)), 30_000)
    child.stdio[3].on('data', (chunk) => {
      buffer += chunk
      let newline
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, newline))
        buffer = buffer.slice(newline + 1)
        if (event.event === 'listen') found[event.socket] = `http://127.0.0.1:${event.port}`
        if (workers.every((worker) => found[worker.name] !== undefined)) {
          clearTimeout(timer)
          resolve(found)
        }
      }
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`workerd exited (${code}): ${stderr}`))
    })
  })
  return {
    origins,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

// --- helpers ---------------------------------------------------------------------------------------------------

/** SHA-256 inputs with known digests: empty, one block, the two-block FIPS vector, many blocks, non-ASCII. */
function knownHashInputs(userAssertion) {
  return [
    '',
    'abc',
    'abcdbcdecdefdefgefghfghighijhijkijkljklmjklmnklmnlmnomnopnopq',
    'x'.repeat(55),
    'x'.repeat(56),
    'é€😀 onbehalf',
    userAssertion,
  ]
}

/**
 * Starts a server process with `input` on stdin; resolves with `{ origin, stop }` once it prints `{"port":N}`,
 * rejects if it exits first or does not listen within the timeout.
 */
function startServer(command, args, { cwd, env, input }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit))
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    }
    const timer = setTimeout(() => {
      void stop()
      reject(
        new Error(`${command} ${args.join(' ')} did not listen within ${processTimeoutMs} ms: ${stderr.slice(-2000)}`),
      )
    }, processTimeoutMs)
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n').find((text) => text.startsWith('{"port":'))
      if (line === undefined) return
      clearTimeout(timer)
      resolve({ origin: `http://127.0.0.1:${JSON.parse(line).port}`, stop })
    })
    child.once('error', reject)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`))
    })
    child.stdin.end(input)
  })
}

/** Runs a process with `input` on stdin; resolves with its output, rejects on a non-zero exit or the timeout. */
function runProcess(command, args, { cwd, env, input }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), processTimeoutMs)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve({ stdout, stderr })
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}: ${stderr.slice(-2000)}`))
    })
    child.stdin.end(input)
  })
}
