import { OboError } from '@onbehalf/core'
import { describe, expect, it, vi } from 'vitest'

// certificate-file.ts on its Web `#file-system` (what Workers and browsers resolve): the real module, chosen here
// as the `default` condition would choose it.
vi.mock('#file-system', () => import('./file-system-web.ts'))

describe('certificate files without a file system', () => {
  it('refuses clientCertificatePath with INVALID_CERTIFICATE saying to pass clientCertificate', async () => {
    const { readCertificateFile } = await import('./certificate-file.ts')
    const error = await readCertificateFile('/etc/certs/middle-tier.pem').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OboError)
    expect(error).toMatchObject({ code: 'INVALID_CERTIFICATE' })
    expect((error as Error).message).toContain('pass the certificate itself as clientCertificate')
    expect((error as Error).message).not.toContain('permission')
  })
})
