/**
 * X.509 certificates as this package needs them: the exact DER bytes (thumbprints and `x5c` must cover the
 * original encoding), the raw issuer and subject names (to order a chain without trusting any algorithm),
 * and, for RSA certificates, forge's parsed view (public key, validity, subject).
 *
 * @module
 */
import forge from 'node-forge'
import { certificateError } from './errors.ts'

/** One certificate from the input. */
export interface CertificateEntry {
  /** The DER bytes as a binary string. */
  readonly der: string
  /** DER of the subject Name, for chain ordering. */
  readonly subjectDer: string
  /** DER of the issuer Name, for chain ordering. */
  readonly issuerDer: string
  /** forge's parsed certificate when its key is RSA; `undefined` for other key types (forge reads only RSA). */
  readonly parsed: forge.pki.Certificate | undefined
}

/** Reads a certificate from its DER bytes (binary string). */
export function certificateFromDer(der: string): CertificateEntry {
  let asn1: forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(der, false)
  } catch (error) {
    throw certificateError('a certificate is malformed (not valid DER). Export the certificate again.', error)
  }
  const names = namesOf(asn1)
  if (names === undefined) throw certificateError('a certificate is malformed (not an X.509 structure).')
  let parsed: forge.pki.Certificate | undefined
  try {
    parsed = forge.pki.certificateFromAsn1(asn1)
  } catch {
    parsed = undefined
  }
  return { der, ...names, parsed }
}

/** A certificate forge already parsed (PKCS#12 bags): re-encode from forge's captured ASN.1. */
export function certificateFromForge(cert: forge.pki.Certificate): CertificateEntry {
  return certificateFromDer(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes())
}

/** A certificate forge could not parse (non-RSA) but handed back as ASN.1 (PKCS#12 bags). */
export function certificateFromAsn1(asn1: forge.asn1.Asn1): CertificateEntry {
  return certificateFromDer(forge.asn1.toDer(asn1).getBytes())
}

function namesOf(certificate: forge.asn1.Asn1): { subjectDer: string; issuerDer: string } | undefined {
  const tbs = Array.isArray(certificate.value) ? certificate.value[0] : undefined
  if (tbs === undefined || !Array.isArray(tbs.value)) return undefined
  // TBSCertificate: [0] version (optional, context-specific), serial, signature, issuer, validity, subject, ...
  const fields = tbs.value
  const offset = fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0
  const issuer = fields[offset + 2]
  const subject = fields[offset + 4]
  if (issuer === undefined || subject === undefined) return undefined
  if (issuer.type !== forge.asn1.Type.SEQUENCE || subject.type !== forge.asn1.Type.SEQUENCE) return undefined
  return { issuerDer: forge.asn1.toDer(issuer).getBytes(), subjectDer: forge.asn1.toDer(subject).getBytes() }
}

/** `CN=middle-tier, O=Contoso`-style rendering of a forge distinguished name, in certificate order. */
export function renderName(attributes: readonly forge.pki.CertificateField[]): string {
  return attributes
    .map((attribute) => `${attribute.shortName ?? attribute.name ?? attribute.type ?? '?'}=${String(attribute.value)}`)
    .join(', ')
}

/**
 * Orders certificates for `x5c`: the leaf first, then each issuer found among the rest, then whatever is
 * left in input order (a chain may legitimately hold unrelated intermediates).
 */
export function orderChain(leaf: CertificateEntry, others: readonly CertificateEntry[]): CertificateEntry[] {
  const ordered = [leaf]
  const remaining = others.filter((entry) => entry.der !== leaf.der)
  let current = leaf
  while (current.issuerDer !== current.subjectDer) {
    const index = remaining.findIndex((entry) => entry.subjectDer === current.issuerDer)
    if (index < 0) break
    const [next] = remaining.splice(index, 1)
    if (next === undefined) break
    ordered.push(next)
    current = next
  }
  return [...ordered, ...remaining]
}
