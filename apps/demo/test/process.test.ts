import { execFile, spawn } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

// `pnpm demo` as a person runs it, in a real process: what it prints and how it exits are its behaviour here.
const demoDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const repoRoot = join(demoDir, '..', '..')

/** The environment without any real-tenant variable of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env)) {
    if (/^(AZURE_|MIDDLE_TIER_|DOWNSTREAM_|DEMO_|ONBEHALF_|MANAGED_IDENTITY_|REDIS_URL|TOKEN_CACHE_KEY)/.test(name)) {
      delete env[name]
    }
  }
  return { ...env, ...extra }
}

interface Run {
  /** Resolves with everything printed once `text` shows up (or the process ends). */
  printed(text: string): Promise<string>
  /** Sends a signal to the whole process group, as a terminal's Ctrl+C does. */
  signalGroup(signal: NodeJS.Signals): void
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>
}

const running: Run[] = []

/** Starts a command in its own process group (a terminal's foreground job), collecting stdout and stderr. */
function start(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Run {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const waiters: { text: string; resolve: (output: string) => void }[] = []
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8')
    for (const waiter of waiters.filter((w) => output.includes(w.text))) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve(output)
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.resolve(output)
      resolve({ code, signal, output })
    })
  })
  let ended = false
  void exit.then(() => (ended = true))
  const run: Run = {
    printed: (text) =>
      output.includes(text) || ended
        ? Promise.resolve(output)
        : new Promise((resolve) => waiters.push({ text, resolve })),
    signalGroup: (signal) => {
      if (!ended && child.pid !== undefined) process.kill(-child.pid, signal)
    },
    exit,
  }
  running.push(run)
  return run
}

afterAll(async () => {
  for (const run of running) run.signalGroup('SIGKILL')
  await Promise.all(running.map((run) => run.exit))
})

/** `node --import tsx src/main.ts`, what `pnpm demo` ends up running. */
function startMain(env: Record<string, string>): Run {
  return start(process.execPath, ['--conditions=@onbehalf/source', '--import', 'tsx', 'src/main.ts'], {
    cwd: demoDir,
    env: cleanEnv(env),
  })
}

/** The pnpm on PATH, or else the pinned one npx has (the repository's `packageManager`). */
async function findPnpm(): Promise<string> {
  const run = promisify(execFile)
  const onPath = await run('sh', ['-c', 'command -v pnpm'], { cwd: repoRoot }).catch(() => undefined)
  if (onPath !== undefined && onPath.stdout.trim() !== '') return onPath.stdout.trim()
  const viaNpx = await run('npx', ['-y', '-p', 'pnpm@10.34.9', '-c', 'command -v pnpm'], { cwd: repoRoot })
  return viaNpx.stdout.trim()
}

/** A loopback port something else holds for the rest of the test. */
async function holdPort(port = 0): Promise<{ port: number; server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return { port: (server.address() as { port: number }).port, server }
}

const pageUrl = (output: string): string => {
  const match = /Page: +(http:\/\/127\.0\.0\.1:\d+)\//.exec(output)
  if (match?.[1] === undefined) throw new Error(`no page URL in:\n${output}`)
  return match[1]
}

const noStackTrace = /^\s+at .+[(:]\d+/m

describe('pnpm demo', () => {
  it('stops on Ctrl+C (SIGINT to the process group) with exit code 0, servers closed, no ELIFECYCLE', async () => {
    const pnpm = await findPnpm()
    const run = start(pnpm, ['demo'], {
      cwd: repoRoot,
      // The inner `pnpm --filter` must find the same pnpm.
      env: cleanEnv({
        DEMO_PORT: '0',
        DEMO_DOWNSTREAM_PORT: '0',
        PATH: `${dirname(pnpm)}:${process.env['PATH'] ?? ''}`,
      }),
    })
    const output = await run.printed('Press Ctrl+C to stop.')
    const url = pageUrl(output)
    expect((await fetch(`${url}/demo/config`)).status).toBe(200)
    run.signalGroup('SIGINT')
    const { code, signal, output: all } = await run.exit
    expect({ code, signal }).toEqual({ code: 0, signal: null })
    expect(all).not.toContain('ELIFECYCLE')
    expect(all).not.toContain('ERR_PNPM')
    await expect(fetch(`${url}/demo/config`)).rejects.toThrow()
  }, 180_000)

  it('stops quietly on Ctrl+C when started as the README shows it (npx -y pnpm@10.34.9 demo)', async () => {
    const run = start('npx', ['-y', 'pnpm@10.34.9', 'demo'], {
      cwd: repoRoot,
      env: cleanEnv({ DEMO_PORT: '0', DEMO_DOWNSTREAM_PORT: '0' }),
    })
    const url = pageUrl(await run.printed('Press Ctrl+C to stop.'))
    run.signalGroup('SIGINT')
    const { code, signal, output } = await run.exit
    expect(output).not.toContain('ELIFECYCLE')
    expect(output).not.toContain('Command failed')
    // pnpm and the demo exit 0; npm's own `sh -c` between npx and pnpm dies of the SIGINT, and npx then
    // re-raises it on itself (npm's run-script does so on purpose), so npx itself ends by the signal.
    expect(code === 0 || signal === 'SIGINT').toBe(true)
    await expect(fetch(`${url}/demo/config`)).rejects.toThrow()
  }, 180_000)

  it('stops on SIGTERM with exit code 0', async () => {
    const run = startMain({ DEMO_PORT: '0', DEMO_DOWNSTREAM_PORT: '0' })
    await run.printed('Press Ctrl+C to stop.')
    run.signalGroup('SIGTERM')
    expect(await run.exit).toMatchObject({ code: 0, signal: null })
  }, 180_000)

  it('fails with a clear message when DEMO_PORT is set and taken, and does not move elsewhere', async () => {
    const held = await holdPort()
    try {
      const { code, output } = await startMain({ DEMO_PORT: String(held.port), DEMO_DOWNSTREAM_PORT: '0' }).exit
      expect(code).toBe(1)
      expect(output).toContain(`Port ${String(held.port)} (DEMO_PORT) on 127.0.0.1 is already in use`)
      expect(output).toContain('choose another port')
      expect(output).not.toContain('Press Ctrl+C')
      expect(output).not.toMatch(noStackTrace)
    } finally {
      held.server.close()
    }
  }, 180_000)

  it('moves off a taken default port (DEMO_PORT unset) and says so', async () => {
    // Port 4000 is taken during this test: by this test, or (on a shared machine) by someone else already.
    const held = await holdPort(4000).catch(() => undefined)
    try {
      const run = startMain({ DEMO_DOWNSTREAM_PORT: '0' })
      const output = await run.printed('Press Ctrl+C to stop.')
      expect(output).toContain('port 4000 is in use, so the page is on')
      expect(pageUrl(output)).not.toBe('http://127.0.0.1:4000')
      run.signalGroup('SIGINT')
      expect((await run.exit).code).toBe(0)
    } finally {
      held?.server.close()
    }
  }, 180_000)
})

describe('real-tenant mode start-up', () => {
  it('lists every missing variable in one message, with the guide, no stack trace, exit 1', async () => {
    const { code, output } = await startMain({ MIDDLE_TIER_CLIENT_ID: '11111111-2222-3333-4444-555555555555' }).exit
    expect(code).toBe(1)
    expect(output).toContain('AZURE_TENANT_ID is not set')
    expect(output).toContain('DOWNSTREAM_APP_ID_URI is not set')
    expect(output).toContain('No client credential')
    expect(output).not.toContain('MIDDLE_TIER_CLIENT_ID is not set')
    expect(output).toContain('docs/real-tenant.md')
    expect(output).not.toMatch(noStackTrace)
  }, 180_000)

  it('explains an unreachable identity provider instead of "fetch failed"', async () => {
    const closed = await holdPort()
    await new Promise((resolve) => closed.server.close(resolve))
    const { code, output } = await startMain({
      AZURE_TENANT_ID: 'contoso.onmicrosoft.com',
      AZURE_AUTHORITY_HOST: `https://127.0.0.1:${String(closed.port)}`,
      MIDDLE_TIER_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      MIDDLE_TIER_CLIENT_SECRET: 'not-a-real-secret',
      DOWNSTREAM_APP_ID_URI: 'api://contoso-documents',
    }).exit
    expect(code).toBe(1)
    expect(output).toContain(`Cannot reach 127.0.0.1:${String(closed.port)} (ECONNREFUSED)`)
    expect(output).toContain('No network?')
    expect(output).toContain('pnpm demo')
    expect(output).not.toContain('not-a-real-secret')
    expect(output).not.toMatch(noStackTrace)
  }, 180_000)
})
