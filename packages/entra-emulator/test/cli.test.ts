import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, describe, expect, it } from 'vitest'
import { createTrustingFetch } from '../src/index.ts'
import { claimsOf } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'entra-emulator-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('CLI', () => {
  it('prints its configuration, writes the CA (and certificate) files, serves, and stops on SIGTERM', async () => {
    const caFile = join(dir, 'ca.pem')
    const certFile = join(dir, 'mt.pem')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--json', '--seed', 'cli-test', '--ca-file', caFile, '--cert-file', certFile],
      {
        cwd: join(import.meta.dirname, '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout })
        lines.once('line', resolve)
        child.once('exit', (code) => reject(new Error(`CLI exited early with ${String(code)}`)))
      })
      const info = JSON.parse(firstLine) as {
        authorityHost: string
        tenantId: string
        middleTier: { clientId: string; clientSecret: string }
        users: { plain: { upn: string } }
        userTokenEndpoint: string
      }
      expect(info.authorityHost).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      const ca = readFileSync(caFile, 'utf8')
      expect(ca).toContain('BEGIN CERTIFICATE')
      expect(readFileSync(certFile, 'utf8')).toContain('PRIVATE KEY')
      expect(statSync(certFile).mode & 0o077).toBe(0)
      const fetch = createTrustingFetch({ ca })
      const minted = await fetch(info.userTokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: info.users.plain.upn }),
      })
      const token = ((await minted.json()) as { access_token: string }).access_token
      expect(claimsOf(token)['aud']).toBe(info.middleTier.clientId)
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)

  it('writes its CA into a new private directory (not a fixed shared path) and removes it on exit', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--json'], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout })
        lines.once('line', resolve)
        child.once('exit', (code) => reject(new Error(`CLI exited early with ${String(code)}`)))
      })
      const { caFile } = JSON.parse(firstLine) as { caFile: string }
      expect(dirname(dirname(caFile))).toBe(tmpdir())
      expect(caFile).not.toBe(join(tmpdir(), 'onbehalf-entra-emulator-ca.pem'))
      expect(statSync(dirname(caFile)).mode & 0o777).toBe(0o700)
      expect(readFileSync(caFile, 'utf8')).toContain('BEGIN CERTIFICATE')
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(existsSync(dirname(caFile))).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)

  it('warns loudly on stderr when asked to listen beyond loopback', async () => {
    // An invalid port: the CLI warns, then fails before it binds anything off loopback.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--host', '0.0.0.0', '--port', '70000'], {
      cwd: join(import.meta.dirname, '..'),
    })
    let err = ''
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(1)
    expect(err).toMatch(/!! WARNING: The Entra emulator listens on 0\.0\.0\.0, beyond this machine/)
  }, 30_000)

  it('prints help', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--help'], {
      cwd: join(import.meta.dirname, '..'),
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(0)
    expect(out).toContain('--ca-file')
  }, 30_000)
})
