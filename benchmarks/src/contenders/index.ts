/**
 * Builds the contender a scenario process was started for.
 *
 * @module
 */
import type { EmulatorAccess } from '../child-protocol.ts'
import type { ContenderId } from '../results.ts'
import type { Contender } from './contender.ts'

/**
 * Creates a contender (its library is imported here, so a process loads only the one it measures).
 *
 * @example
 * ```ts
 * const contender = await createContender('msal-node', access, { maxEntries: 250_000 })
 * ```
 */
export async function createContender(
  id: ContenderId,
  access: EmulatorAccess,
  options: { maxEntries: number },
): Promise<Contender> {
  switch (id) {
    case 'ours-jose':
    case 'ours-msal':
      return (await import('./ours.ts')).oursContender(id, access, options)
    case 'msal-node':
      return (await import('./msal-node.ts')).msalNodeContender(access)
    case 'azure-identity':
      return (await import('./azure-identity.ts')).azureIdentityContender(access)
  }
}

export type { Contender } from './contender.ts'
