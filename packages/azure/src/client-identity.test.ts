import { afterEach, describe, expect, it, vi } from 'vitest'

describe('client identities', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('makes no random value when imported (Workers refuse them in global scope), only on first use', async () => {
    const randomUUID = vi.spyOn(globalThis.crypto, 'randomUUID')
    vi.resetModules()
    const { identifySecret } = await import('./client-identity.ts')
    expect(randomUUID).not.toHaveBeenCalled()
    const first = identifySecret('s3cret').identity
    expect(randomUUID).toHaveBeenCalledTimes(1)
    // One salt per process: the same secret keeps its identity, and the salt is not made again.
    expect(identifySecret('s3cret').identity).toBe(first)
    expect(identifySecret('other').identity).not.toBe(first)
    expect(randomUUID).toHaveBeenCalledTimes(1)
    expect(first).not.toContain('s3cret')
  })
})
