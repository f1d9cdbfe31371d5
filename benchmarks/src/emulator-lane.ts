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
  const emu: EntraEmulator = await startEmulator()
  const caFile = join(dir, `ca-${index}.pem`)
  await writeFile(caFile, emu.caCertificate)
  const { middleTier, downstream } = emu.defaults
  const scope = downstream.scopes[0]
  if (scope === undefined) throw new Error('the emulator registered no downstream scope')
  const assertions: string[] = []
  const totals = { total: 0, token: 0, byEndpoint: {} as Record<string, number> }

  return {
    access: {
      authorityHost: emu.authorityHost,
      host: emu.host,
      tenantId: emu.tenantId,
      clientId: middleTier.clientId,
      clientSecret: middleTier.clientSecret,
      // A delegated scope rather than `/.default`: msal-node caches the scopes the token endpoint grants, so a
      // `/.default` request would never match its own cache entries and the comparison would be unfair to it.
      scope,
    },
    caFile,
    users: (count) => {
      while (assertions.length < count) assertions.push(emu.issueUserToken({ user: emu.addUser() }))
      return assertions.slice(0, count)
    },
    counts: () => {
      // Fold the recorded requests into counters and drop them, so the parent's memory stays flat.
      for (const request of emu.requests) {
        totals.total++
        if (request.endpoint === 'token') totals.token++
        totals.byEndpoint[request.endpoint] = (totals.byEndpoint[request.endpoint] ?? 0) + 1
      }
      emu.clearRequests()
      return { total: totals.total, token: totals.token, byEndpoint: { ...totals.byEndpoint } }
    },
    close: () => emu.close(),
  }
}
