/** Test-only: client certificates made by the openssl CLI (the tool users run), in a temporary directory. */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface ClientCertificateFixture {
  readonly keyPem: string
  readonly certPem: string
  /** Key + certificate. */
  readonly pem: string
  /** Key encrypted (PBES2 AES-256) + certificate, with {@link password}. */
  readonly encryptedPem: string
  readonly pkcs12: Uint8Array
  readonly pkcs12Legacy: Uint8Array
  /** Key + CA-signed leaf + CA. */
  readonly chainPem: string
  readonly chainLeafPem: string
  readonly chainCaPem: string
}

export const password = 'fixture-pass'

export function makeClientCertificates(subject = '/CN=middle-tier'): ClientCertificateFixture {
  const dir = mkdtempSync(join(tmpdir(), 'onbehalf-jose-cert-'))
  const run = (...args: string[]): void => {
    execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' })
  }
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8')
  try {
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '30',
      '-subj',
      subject,
    )
    run(
      'pkcs8',
      '-topk8',
      '-in',
      'key.pem',
      '-v2',
      'aes-256-cbc',
      '-passout',
      `pass:${password}`,
      '-out',
      'key-enc.pem',
    )
    run('pkcs12', '-export', '-inkey', 'key.pem', '-in', 'cert.pem', '-passout', `pass:${password}`, '-out', 'cert.p12')
    run(
      'pkcs12',
      '-export',
      '-legacy',
      '-inkey',
      'key.pem',
      '-in',
      'cert.pem',
      '-passout',
      `pass:${password}`,
      '-out',
      'legacy.p12',
    )
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
      '-days',
      '30',
      '-subj',
      '/CN=Test CA',
    )
    run(
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'leaf-key.pem',
      '-out',
      'leaf.csr',
      '-subj',
      `${subject}-sni`,
    )
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '30',
      '-out',
      'leaf.pem',
    )
    return {
      keyPem: read('key.pem'),
      certPem: read('cert.pem'),
      pem: read('key.pem') + read('cert.pem'),
      encryptedPem: read('key-enc.pem') + read('cert.pem'),
      pkcs12: new Uint8Array(readFileSync(join(dir, 'cert.p12'))),
      pkcs12Legacy: new Uint8Array(readFileSync(join(dir, 'legacy.p12'))),
      chainPem: read('leaf-key.pem') + read('leaf.pem') + read('ca.pem'),
      chainLeafPem: read('leaf.pem'),
      chainCaPem: read('ca.pem'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
