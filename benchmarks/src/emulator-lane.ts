/**
 * A lane: one emulator (in the parent process) with its CA written to a file for `NODE_EXTRA_CA_CERTS`, a pool
 * of real users with minted assertions, and request counters. Scenario processes of one lane run one at a
 * time, so the counters they read are theirs alone.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startEmulator, type EntraEmulator } from '@onbehalf/entra-emulator'
import type { EmulatorAccess } from './child-protocol.ts'
import type { RequestCounts } from './results.ts'

/** One emulator and what scenario processes need from it. */
export interface EmulatorLane {
  readonly access: EmulatorAccess
  /** PEM file of the emulator's CA. */
  readonly caFile: string
  /** The first `count` users' assertions (users are added and tokens minted on first need). */
  users(count: number): readonly string[]
  /** Requests received since the lane started. */
  counts(): RequestCounts
  close(): Promise<void>
}

/**
 * Starts an emulator and writes its CA certificate to `<dir>/ca-<index>.pem`.
 *
 * @example
 * ```ts
 * const lane = await startLane(tmpDir, 0)
 * spawn(node, args, { env: { NODE_EXTRA_CA_CERTS: lane.caFile } })
 * ```
 */
export async function startLane(dir: string, index: number): Promise<EmulatorLane> {
  // The lane reads counts only: no request log to grow with the run.
  const emu: EntraEmulator = await startEmulator({ maxRecordedRequests: 0 })
  const caFile = join(dir, `ca-${index}.pem`)
  await writeFile(caFile, emu.caCertificate)
  const { middleTier, downstream } = emu.defaults
  const assertions: string[] = []

  return {
    access: {
      authorityHost: emu.authorityHost,
      host: emu.host,
      tenantId: emu.tenantId,
      clientId: middleTier.clientId,
      clientSecret: middleTier.clientSecret,
      // `<resource>/.default`, what Azure SDK clients ask for. The emulator answers it as Entra does (granted scopes
      // plus the `.default` itself), so msal-node and @azure/identity find their own cache entries for it.
      scope: downstream.defaultScope,
      issuer: emu.issuer(),
      jwksUri: emu.jwksUri(),
    },
    caFile,
    users: (count) => {
      while (assertions.length < count) assertions.push(emu.issueUserToken({ user: emu.addUser() }))
      return assertions.slice(0, count)
    },
    counts: () => {
      const counts = emu.requestCounts()
      return { total: counts.total, token: counts.byEndpoint.token ?? 0, byEndpoint: { ...counts.byEndpoint } }
    },
    close: () => emu.close(),
  }
}
